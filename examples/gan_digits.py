"""A small GAN on the bundled handwritten digits; writes a grid of generated digits.

Run: python examples/gan_digits.py [--epochs N] [--out DIR]
"""

from __future__ import annotations

import argparse
import os

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.utils.data import DataLoader
from embervision import datasets, transforms
from embervision.utils import save_image

LATENT = 16


def make_models(hidden=128):
    generator = nn.Sequential(nn.Linear(LATENT, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, 64), nn.Tanh())
    discriminator = nn.Sequential(nn.Linear(64, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, 1))
    return generator, discriminator


def run(epochs=40, out="out", log=print):
    ember.manual_seed(0)
    os.makedirs(out, exist_ok=True)
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize([0.5], [0.5])])
    loader = DataLoader(datasets.Digits(train=True, transform=tf), batch_size=64, shuffle=True, drop_last=True)
    gen, disc = make_models()
    opt_g = ember.optim.Adam(gen.parameters(), lr=2e-3, betas=(0.5, 0.999))
    opt_d = ember.optim.Adam(disc.parameters(), lr=2e-3, betas=(0.5, 0.999))
    history = []
    for epoch in range(1, epochs + 1):
        for x, _ in loader:
            real = x.flatten(1)
            n = real.shape[0]
            fake = gen(ember.randn(n, LATENT))
            d_loss = (F.binary_cross_entropy_with_logits(disc(real), ember.ones(n, 1))
                      + F.binary_cross_entropy_with_logits(disc(fake.detach()), ember.zeros(n, 1)))
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            g_loss = F.binary_cross_entropy_with_logits(disc(fake), ember.ones(n, 1))
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
        history.append((d_loss.item(), g_loss.item()))
        if epoch % 10 == 0 or epoch == 1:
            log(f"epoch {epoch:3d}  discriminator loss {d_loss.item():.3f}  generator loss {g_loss.item():.3f}")
    with ember.no_grad():
        samples = gen(ember.randn(64, LATENT)).view(-1, 1, 8, 8) * 0.5 + 0.5
    save_image(samples, os.path.join(out, "gan_samples.png"), nrow=8)
    log(f"wrote {out}/gan_samples.png")
    return history, samples


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--out", default="out")
    args = parser.parse_args()
    run(args.epochs, args.out)


if __name__ == "__main__":
    main()
