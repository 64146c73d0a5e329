"""An independent conditional DCGAN in plain PyTorch, written apart from ganlab's models and training loop, to
check the conditional study's finding that the DCGAN with the label in a dense layer of D ignores the label at
the lab scale (the conditional DCGAN table of "How to Train a GAN", quarter width as the study's lab scale).

    PYTHONPATH=src python docs/results/checks/cdcgan_reference.py 1500 late    # label in D's dense layer
    PYTHONPATH=src python docs/results/checks/cdcgan_reference.py 1000 early   # label also as D's input channels

Prints class_accuracy (the share of 2,000 samples, 200 a class, that ganlab's Fashion-MNIST classifier assigns
to the class asked for; chance is 0.1) every 250 steps. Only the data files and the classifier are ganlab's.
Measured on 2 cores (docs/studies.md, conditional): `late` stays at chance (0.093-0.119) through 1,500 steps;
`early` reaches 0.54 at 250 steps and 0.68-0.74 at 750-1,000.
"""

from __future__ import annotations

import gzip
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganlab.metrics.classifier import load_classifier, predict
from ganlab.metrics.domain import classifier_json

ROOT = Path("/usr/share/datasets/fashion-mnist")
K, Z, BATCH = 10, 100, 128


def idx_bytes(name: str) -> bytes:
    path = next(ROOT.glob(name + "*"))
    with gzip.open(path) if path.suffix == ".gz" else open(path, "rb") as f:
        return f.read()


def fashion_mnist() -> tuple[Tensor, Tensor]:
    """Train images at 32 px in [-1, 1] (bilinear, antialiased, as the study) and their labels."""
    images = torch.frombuffer(bytearray(idx_bytes("train-images-idx3-ubyte")[16:]), dtype=torch.uint8)
    x = images.view(-1, 1, 28, 28).float() / 127.5 - 1
    y = torch.frombuffer(bytearray(idx_bytes("train-labels-idx1-ubyte")[8:]), dtype=torch.uint8).long()
    return F.interpolate(x, size=32, mode="bilinear", antialias=True, align_corners=False), y


def up(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.ConvTranspose2d(c_in, c_out, 5, 2, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]


def down(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 5, 2, 2, bias=False), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2)]


class Generator(nn.Module):
    """[z, onehot(c)] -> dense 64x4x4 -> 64 -> 32 -> 16 channels at 8, 16, 32 px -> a 5x5 conv to 1 channel."""

    def __init__(self) -> None:
        super().__init__()
        self.fc, self.bn = nn.Linear(Z + K, 64 * 16), nn.BatchNorm2d(64)
        self.net = nn.Sequential(*up(64, 64), *up(64, 32), *up(32, 16), nn.Conv2d(16, 1, 5, 1, 2), nn.Tanh())

    def forward(self, z: Tensor, c: Tensor) -> Tensor:
        h = self.fc(torch.cat([z, F.one_hot(c, K).float()], 1)).view(-1, 64, 4, 4)
        return self.net(F.relu(self.bn(h)))


class Discriminator(nn.Module):
    """convs 16, 32, 64 to 4x4 -> [flat, onehot(c)] -> dense 64 -> 1; `early` also feeds c as input channels."""

    def __init__(self, early: bool) -> None:
        super().__init__()
        self.early = early
        self.net = nn.Sequential(*down(1 + K * early, 16), *down(16, 32), *down(32, 64), nn.Flatten())
        self.fc = nn.Sequential(nn.Linear(64 * 16 + K, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1))

    def forward(self, x: Tensor, c: Tensor) -> Tensor:
        onehot = F.one_hot(c, K).float()
        if self.early:
            x = torch.cat([x, onehot[:, :, None, None].expand(-1, K, *x.shape[2:])], 1)
        return self.fc(torch.cat([self.net(x), onehot], 1)).squeeze(1)


def dcgan_init(model: nn.Module) -> None:
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0, 0.02)
        if isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1, 0.02)
            nn.init.zeros_(m.bias)


def class_accuracy(g: Generator, classifier: nn.Module) -> float:
    g.eval()
    with torch.no_grad():
        asked = torch.arange(2000) % K
        samples = g(torch.randn(2000, Z), asked)
        samples = F.interpolate(samples, size=28, mode="bilinear", antialias=True, align_corners=False)
        _, predicted = predict(classifier, samples)
    g.train()
    return float((predicted == asked).float().mean())


def main(steps: int, early: bool) -> None:
    torch.manual_seed(0)
    torch.set_num_threads(2)
    x, y = fashion_mnist()
    g, d = Generator(), Discriminator(early)
    dcgan_init(g)
    dcgan_init(d)
    opt_g = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
    classifier = load_classifier(classifier_json("fashion-mnist")).model
    start = time.time()
    for step in range(1, steps + 1):
        i = torch.randint(len(x), (BATCH,))
        real, c = x[i], y[i]
        with torch.no_grad():
            fake = g(torch.randn(BATCH, Z), c)
        loss_d = F.softplus(-d(real, c)).mean() + F.softplus(d(fake, c)).mean()
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = F.softplus(-d(g(torch.randn(BATCH, Z), c), c)).mean()  # the non-saturating loss
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        if step % 250 == 0:
            accuracy = class_accuracy(g, classifier)
            print(f"step {step} class_accuracy {accuracy:.3f} ({time.time() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), len(sys.argv) > 2 and sys.argv[2] == "early")
