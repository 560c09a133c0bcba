"""Two 1-D convolutional classifiers as PyTorch users write them, ported by changing the
imports only: M5, the raw-waveform network of PyTorch's speech-command tutorial
(Conv1d, BatchNorm1d, MaxPool1d, F.avg_pool1d, log_softmax + nll_loss, Adam with weight
decay, StepLR), and a Kim (2014) sentence CNN (Embedding, Conv1d of several widths,
F.max_pool1d over time, dropout, cross entropy, SGD with momentum).

Shortened: the data are random (from the seed) instead of SpeechCommands and a text corpus,
batches of fixed-length waveforms (the tutorial resamples to 8 kHz and pads each batch), a
few steps each, and the tutorial's log lines print the loss in full.
tests/test_conv_programs.py runs it with minitorch and, its imports switched back, with
PyTorch, and compares every printed number.
"""
import minitorch as torch
import minitorch.nn as nn
import minitorch.nn.functional as F
import minitorch.optim as optim
import minitorch.utils.data

torch.manual_seed(0)
device = torch.device("cpu")


# ----- M5 (speech_command_classification_with_torchaudio_tutorial) -------------------------
class M5(nn.Module):
    def __init__(self, n_input=1, n_output=35, stride=16, n_channel=32):
        super().__init__()
        self.conv1 = nn.Conv1d(n_input, n_channel, kernel_size=80, stride=stride)
        self.bn1 = nn.BatchNorm1d(n_channel)
        self.pool1 = nn.MaxPool1d(4)
        self.conv2 = nn.Conv1d(n_channel, n_channel, kernel_size=3)
        self.bn2 = nn.BatchNorm1d(n_channel)
        self.pool2 = nn.MaxPool1d(4)
        self.conv3 = nn.Conv1d(n_channel, 2 * n_channel, kernel_size=3)
        self.bn3 = nn.BatchNorm1d(2 * n_channel)
        self.pool3 = nn.MaxPool1d(4)
        self.conv4 = nn.Conv1d(2 * n_channel, 2 * n_channel, kernel_size=3)
        self.bn4 = nn.BatchNorm1d(2 * n_channel)
        self.pool4 = nn.MaxPool1d(4)
        self.fc1 = nn.Linear(2 * n_channel, n_output)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(self.bn1(x))
        x = self.pool1(x)
        x = self.conv2(x)
        x = F.relu(self.bn2(x))
        x = self.pool2(x)
        x = self.conv3(x)
        x = F.relu(self.bn3(x))
        x = self.pool3(x)
        x = self.conv4(x)
        x = F.relu(self.bn4(x))
        x = self.pool4(x)
        x = F.avg_pool1d(x, x.shape[-1])
        x = x.permute(0, 2, 1)
        x = self.fc1(x)
        return F.log_softmax(x, dim=2)


def count_parameters(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def number_of_correct(pred, target):
    # count number of correct predictions
    return pred.squeeze().eq(target).sum().item()


def get_likely_index(tensor):
    # find most likely label index for each element in the batch
    return tensor.argmax(dim=-1)


waveforms = torch.randn(32, 1, 8000) * 0.1
labels = torch.randint(0, 35, (32,))
train_loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(waveforms[:24], labels[:24]),
                                           batch_size=8, shuffle=True)
test_loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(waveforms[24:], labels[24:]),
                                          batch_size=8, shuffle=False)

model = M5(n_input=1, n_output=35)
model.to(device)
print(model)
n = count_parameters(model)
print("Number of parameters: %s" % n)

optimizer = optim.Adam(model.parameters(), lr=0.01, weight_decay=0.0001)
scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=20, gamma=0.1)  # reduce the learning after 20 epochs by a factor of 10


def train(model, epoch, log_interval):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data = data.to(device)
        target = target.to(device)
        output = model(data)
        # negative log-likelihood for a tensor of size (batch x 1 x n_output)
        loss = F.nll_loss(output.squeeze(), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        # print training stats
        if batch_idx % log_interval == 0:
            print(f"Train Epoch: {epoch} [{batch_idx * len(data)}/{len(train_loader.dataset)} "
                  f"({100. * batch_idx / len(train_loader):.0f}%)]\tLoss: {loss.item():.6f}")


def test(model, epoch):
    model.eval()
    correct = 0
    for data, target in test_loader:
        data = data.to(device)
        target = target.to(device)
        output = model(data)
        pred = get_likely_index(output)
        correct += number_of_correct(pred, target)
    print(f"\nTest Epoch: {epoch}\tAccuracy: {correct}/{len(test_loader.dataset)} "
          f"({100. * correct / len(test_loader.dataset):.0f}%)\n")


for epoch in range(1, 3):
    train(model, epoch, log_interval=1)
    test(model, epoch)
    scheduler.step()


# ----- a Kim (2014) sentence CNN -----------------------------------------------------------
class CNN_Text(nn.Module):
    def __init__(self, vocab_size, embed_dim, class_num, kernel_num, kernel_sizes, dropout):
        super(CNN_Text, self).__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.convs = nn.ModuleList([nn.Conv1d(embed_dim, kernel_num, k) for k in kernel_sizes])
        self.dropout = nn.Dropout(dropout)
        self.fc1 = nn.Linear(len(kernel_sizes) * kernel_num, class_num)

    def forward(self, x):
        x = self.embed(x)  # (N, W, D)
        x = x.transpose(1, 2)  # (N, D, W)
        x = [F.relu(conv(x)) for conv in self.convs]  # [(N, Co, W'), ...]
        x = [F.max_pool1d(i, i.size(2)).squeeze(2) for i in x]  # [(N, Co), ...]
        x = torch.cat(x, 1)
        x = self.dropout(x)
        logit = self.fc1(x)
        return logit


sentences = torch.randint(0, 50, (40, 12))
classes = torch.randint(0, 3, (40,))
text_model = CNN_Text(50, 16, 3, 8, (3, 4, 5), 0.5)
print(text_model)
text_optimizer = optim.SGD(text_model.parameters(), lr=0.1, momentum=0.9)
for step in range(5):
    text_model.train()
    batch = slice(8 * step, 8 * step + 8)
    logit = text_model(sentences[batch])
    loss = F.cross_entropy(logit, classes[batch])
    text_optimizer.zero_grad()
    loss.backward()
    text_optimizer.step()
    corrects = (torch.max(logit, 1)[1].view(classes[batch].size()).data == classes[batch].data).sum()
    print("Batch[{}] - loss: {:.6f}  acc: {:.4f}%({}/{})".format(step, loss.item(), 100.0 * corrects / 8,
                                                                  corrects, 8))
text_model.eval()
with torch.no_grad():
    logit = text_model(sentences[32:])
print("eval logits mean %.6f std %.6f" % (logit.mean().item(), logit.std().item()))
