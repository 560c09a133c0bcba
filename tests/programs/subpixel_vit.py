"""Two small vision models as PyTorch users write them, ported by changing the imports only:
the sub-pixel super-resolution network of pytorch/examples (Conv2d stack with orthogonal
initialisation, nn.PixelShuffle, MSE, Adam, PSNR) and a vision transformer whose patches come
from Tensor.unfold (patch embedding, class token, position embedding, TransformerEncoder,
cross entropy, AdamW).

Shortened: random images from the seed, 8x8 low-resolution inputs, 3 steps each.
tests/test_legacy_programs.py runs it with minitorch and, imports switched back, with PyTorch.
"""
import math

import minitorch as torch
import minitorch.nn as nn
import minitorch.nn.init as init
import minitorch.optim as optim

torch.manual_seed(0)


class SuperResolutionNet(nn.Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(1, 16, (5, 5), (1, 1), (2, 2))
        self.conv2 = nn.Conv2d(16, 16, (3, 3), (1, 1), (1, 1))
        self.conv3 = nn.Conv2d(16, upscale_factor ** 2, (3, 3), (1, 1), (1, 1))
        self.pixel_shuffle = nn.PixelShuffle(upscale_factor)
        init.orthogonal_(self.conv1.weight, init.calculate_gain("relu"))
        init.orthogonal_(self.conv2.weight, init.calculate_gain("relu"))
        init.orthogonal_(self.conv3.weight)

    def forward(self, x):
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x))
        return self.pixel_shuffle(self.conv3(x))


sr = SuperResolutionNet(upscale_factor=3)
print(sr.pixel_shuffle)
low, high = torch.rand(4, 1, 8, 8), torch.rand(4, 1, 24, 24)
optimizer = optim.Adam(sr.parameters(), lr=0.01)
criterion = nn.MSELoss()
for step in range(3):
    optimizer.zero_grad()
    loss = criterion(sr(low), high)
    loss.backward()
    optimizer.step()
    print(f"sr step {step} loss {loss.item():.7f} psnr {10 * math.log10(1 / loss.item()):.5f}")
print("unshuffled", tuple(nn.PixelUnshuffle(3)(sr(low)).shape))


class PatchEmbedding(nn.Module):
    def __init__(self, patch_size, channels, dim):
        super().__init__()
        self.patch_size = patch_size
        self.proj = nn.Linear(patch_size * patch_size * channels, dim)

    def forward(self, x):
        p = self.patch_size
        patches = x.unfold(2, p, p).unfold(3, p, p)  # (N, C, H/p, W/p, p, p)
        patches = patches.permute(0, 2, 3, 1, 4, 5).contiguous().view(x.size(0), -1, x.size(1) * p * p)
        return self.proj(patches)


class ViT(nn.Module):
    def __init__(self, image=16, patch=4, channels=3, dim=32, classes=5):
        super().__init__()
        self.embed = PatchEmbedding(patch, channels, dim)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.randn(1, (image // patch) ** 2 + 1, dim) * 0.02)
        layer = nn.TransformerEncoderLayer(dim, 4, 64, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        tokens = self.embed(x)
        tokens = torch.cat([self.cls.expand(x.size(0), -1, -1), tokens], 1) + self.pos
        return self.head(self.encoder(tokens)[:, 0])


vit = ViT()
images, labels = torch.randn(6, 3, 16, 16), torch.LongTensor([0, 1, 2, 3, 4, 0])
optimizer = optim.AdamW(vit.parameters(), lr=1e-3)
for step in range(3):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(vit(images), labels)
    loss.backward()
    optimizer.step()
    print(f"vit step {step} loss {loss.item():.7f}")
