"""A character-level name generator in the style of the older PyTorch tutorials, ported by
changing its imports only: tensors built with torch.LongTensor / torch.FloatTensor, the
target reshaped in place with unsqueeze_, a hand-written RNN cell (nn.Linear on the
concatenated input and hidden state, dropout, log_softmax), NLLLoss summed over the
letters, and plain SGD written out as p.data.add_(p.grad.data, alpha=-lr).

Shortened: five made-up names, 12 training steps, greedy sampling of two names.
tests/test_legacy_programs.py runs it with minitorch and, imports switched back, with PyTorch.
"""
import minitorch as torch
import minitorch.nn as nn

torch.manual_seed(0)
letters = "abcdefghijklmnopqrstuvwxyz"
n_letters = len(letters) + 1  # plus end-of-name
names = ["ada", "grace", "alan", "edsger", "barbara"]


class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(RNN, self).__init__()
        self.hidden_size = hidden_size
        self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
        self.i2o = nn.Linear(input_size + hidden_size, output_size)
        self.o2o = nn.Linear(hidden_size + output_size, output_size)
        self.dropout = nn.Dropout(0.1)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        input_combined = torch.cat((input, hidden), 1)
        hidden = self.i2h(input_combined)
        output = self.i2o(input_combined)
        output = self.o2o(torch.cat((hidden, output), 1))
        return self.softmax(self.dropout(output)), hidden

    def initHidden(self):
        return torch.zeros(1, self.hidden_size)


def input_tensor(line):
    tensor = torch.zeros(len(line), 1, n_letters)
    for li, letter in enumerate(line):
        tensor[li][0][letters.find(letter)] = 1
    return tensor


def target_tensor(line):
    letter_indexes = [letters.find(line[li]) for li in range(1, len(line))]
    letter_indexes.append(n_letters - 1)
    return torch.LongTensor(letter_indexes)


rnn = RNN(n_letters, 32, n_letters)
criterion = nn.NLLLoss()
learning_rate = 0.05


def train(input_line_tensor, target_line_tensor):
    target_line_tensor.unsqueeze_(-1)
    hidden = rnn.initHidden()
    rnn.zero_grad()
    loss = torch.FloatTensor([0])
    for i in range(input_line_tensor.size(0)):
        output, hidden = rnn(input_line_tensor[i], hidden)
        loss = loss + criterion(output, target_line_tensor[i])
    loss.backward()
    for p in rnn.parameters():
        p.data.add_(p.grad.data, alpha=-learning_rate)
    return output, loss.item() / input_line_tensor.size(0)


print(torch.LongTensor([1, 2]).type(), isinstance(target_tensor("ada"), torch.LongTensor))
for step in range(12):
    name = names[step % len(names)]
    target = target_tensor(name)
    _, loss = train(input_tensor(name), target)
    print(f"step {step} {name} loss {loss:.6f} target {tuple(target.shape)} {target.grad_fn}")

rnn.eval()
with torch.no_grad():
    for start in "ag":
        hidden, out = rnn.initHidden(), start
        letter = input_tensor(start)[0]
        for _ in range(6):
            output, hidden = rnn(letter, hidden)
            top = output.topk(1)[1][0][0].item()
            if top == n_letters - 1:
                break
            out += letters[top]
            letter = input_tensor(letters[top])[0]
        print("sample", out, f"{output.max().item():.6f}")
