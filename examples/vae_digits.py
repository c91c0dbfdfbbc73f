"""A variational autoencoder on the bundled handwritten digits; writes reconstructions and samples.

Run: python examples/vae_digits.py [--epochs N] [--out DIR]
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


class VAE(nn.Module):
    def __init__(self, latent=8, hidden=128):
        super().__init__()
        self.enc = nn.Sequential(nn.Flatten(), nn.Linear(64, hidden), nn.ReLU())
        self.mu, self.logvar = nn.Linear(hidden, latent), nn.Linear(hidden, latent)
        self.dec = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, 64))

    def forward(self, x):
        h = self.enc(x)
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + ember.randn_like(mu) * (0.5 * logvar).exp()
        return self.dec(z).view(-1, 1, 8, 8), mu, logvar


def loss_fn(logits, x, mu, logvar):
    recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum()
    return (recon + kl) / x.shape[0]


def run(epochs=30, out="out", log=print):
    ember.manual_seed(0)
    os.makedirs(out, exist_ok=True)
    data = datasets.Digits(train=True, transform=transforms.ToTensor())
    loader = DataLoader(data, batch_size=64, shuffle=True)
    model = VAE()
    opt = ember.optim.Adam(model.parameters(), lr=3e-3)
    history = []
    for epoch in range(1, epochs + 1):
        total = n = 0
        for x, _ in loader:
            logits, mu, logvar = model(x)
            loss = loss_fn(logits, x, mu, logvar)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * x.shape[0]
            n += x.shape[0]
        history.append(total / n)
        if epoch % 5 == 0 or epoch == 1:
            log(f"epoch {epoch:3d}  negative ELBO per image {total / n:.2f}")
    model.eval()
    with ember.no_grad():
        x = ember.stack([data[i][0] for i in range(16)])
        recon = model(x)[0].sigmoid()
        samples = model.dec(ember.randn(32, 8)).sigmoid().view(-1, 1, 8, 8)
    save_image(ember.cat([x, recon]), os.path.join(out, "vae_reconstructions.png"), nrow=16)
    save_image(samples, os.path.join(out, "vae_samples.png"), nrow=8)
    log(f"wrote {out}/vae_reconstructions.png and {out}/vae_samples.png")
    return history


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--out", default="out")
    args = parser.parse_args()
    run(args.epochs, args.out)


if __name__ == "__main__":
    main()
