"""A PyTorch program in the style of the CIFAR-10 tutorial (its Net, with channel dropout and
adaptive pooling added), run twice: by torch, and by minitorch with only its imports
changed, on FakeData images. Both runs must print the same losses and accuracy.

torch has no FakeData without torchvision, so its preamble rebuilds FakeData's images the
way torchvision draws them (seed i, randn, randint, ToPILImage's uint8, ToTensor's / 255)."""
import contextlib
import io

import pytest

from tests._compat import requires_torch

MINITORCH_IMPORTS = """
import minitorch as torch
import minitorch.nn as nn
import minitorch.nn.functional as F
import minitorch.optim as optim
from minitorch.utils.data import DataLoader
from minitorch.vision import datasets, transforms

trainset = datasets.FakeData(size=40, image_size=(3, 32, 32), num_classes=10, transform=transforms.ToTensor())
testset = datasets.FakeData(size=16, image_size=(3, 32, 32), num_classes=10, transform=transforms.ToTensor(),
                            random_offset=1000)
"""

TORCH_IMPORTS = """
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader


class FakeData(torch.utils.data.Dataset):  # torchvision's FakeData followed by ToTensor
    def __init__(self, size, image_size, num_classes, random_offset=0):
        self.size, self.image_size, self.num_classes, self.offset = size, image_size, num_classes, random_offset

    def __len__(self):
        return self.size

    def __getitem__(self, index):
        state = torch.get_rng_state()
        torch.manual_seed(index + self.offset)
        img = torch.randn(*self.image_size)
        target = torch.randint(0, self.num_classes, size=(1,), dtype=torch.long)[0]
        torch.set_rng_state(state)
        return img.mul(255).byte().float().div(255), target.item()


trainset = FakeData(40, (3, 32, 32), 10)
testset = FakeData(16, (3, 32, 32), 10, random_offset=1000)
"""

PROGRAM = """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.drop = nn.Dropout2d(0.25)
        self.squeeze = nn.AdaptiveAvgPool2d((3, 3))
        self.fc1 = nn.Linear(16 * 3 * 3, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.drop(F.relu(self.conv2(x)))
        x = self.squeeze(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


torch.manual_seed(0)
net = Net()
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
trainloader = DataLoader(trainset, batch_size=8, shuffle=True)
testloader = DataLoader(testset, batch_size=8, shuffle=False)

for epoch in range(2):
    for i, (inputs, labels) in enumerate(trainloader):
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        print(f"[{epoch + 1}, {i + 1}] loss: {loss.item():.6f}")

net.eval()
correct = total = 0
with torch.no_grad():
    for images, labels in testloader:
        predicted = net(images).argmax(1)
        total += labels.size(0)
        correct += (predicted == labels).sum().item()
        print(f"logits[0]: {net(images)[0, :3].tolist()}")
print(f"Accuracy of the network on the {total} test images: {100 * correct // total} %")
"""


def _run(imports: str) -> list:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(imports + PROGRAM, "<program>", "exec"), {"__name__": "__program__"})
    return out.getvalue().splitlines()


def _numbers(line: str) -> list:
    import re
    return [float(x) for x in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", line)]


@requires_torch
def test_the_cifar_tutorial_style_program_prints_torchs_numbers():
    expected = _run(TORCH_IMPORTS)
    got = _run(MINITORCH_IMPORTS)
    assert len(got) == len(expected) == 2 * 5 + 2 + 1
    for g, e in zip(got, expected):
        assert g.split(":")[0] == e.split(":")[0]
        assert _numbers(g) == pytest.approx(_numbers(e), rel=1e-4, abs=1e-5), (g, e)
    assert got[-1] == expected[-1]
