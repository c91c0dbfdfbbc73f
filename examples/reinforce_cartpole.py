"""REINFORCE with a learned baseline on cart-pole (the classic control task, simulated in numpy).

The environment follows the standard cart-pole dynamics (Barto, Sutton & Anderson, 1983): pole
angle limit 12 degrees, cart position limit 2.4, episodes capped at 200 steps. The policy reaches
an average return of at least 150 over 20 consecutive episodes (the maximum is 200).

Run: python examples/reinforce_cartpole.py [--episodes N]
"""

from __future__ import annotations

import argparse
import math

import numpy as np

import ember
import ember.nn as nn
from ember.distributions import Categorical


class CartPole:
    """Cart-pole balancing: push left (0) or right (1); reward 1 per step while the pole stays up."""

    gravity, cart_mass, pole_mass, half_length, force, dt = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02

    def __init__(self, seed=0, max_steps=200):
        self.rng = np.random.default_rng(seed)
        self.max_steps = max_steps

    def reset(self):
        self.state = self.rng.uniform(-0.05, 0.05, 4)
        self.steps = 0
        return self.state.astype(np.float32)

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        f = self.force if action == 1 else -self.force
        total = self.cart_mass + self.pole_mass
        cos, sin = math.cos(theta), math.sin(theta)
        tmp = (f + self.pole_mass * self.half_length * theta_dot ** 2 * sin) / total
        theta_acc = (self.gravity * sin - cos * tmp) / (
            self.half_length * (4.0 / 3.0 - self.pole_mass * cos ** 2 / total))
        x_acc = tmp - self.pole_mass * self.half_length * theta_acc * cos / total
        self.state = np.array([x + self.dt * x_dot, x_dot + self.dt * x_acc,
                               theta + self.dt * theta_dot, theta_dot + self.dt * theta_acc])
        self.steps += 1
        done = abs(self.state[0]) > 2.4 or abs(self.state[2]) > 12 * math.pi / 180 or self.steps >= self.max_steps
        return self.state.astype(np.float32), 1.0, done


class ActorCritic(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, hidden), nn.Tanh())
        self.policy = nn.Linear(hidden, 2)
        self.value = nn.Linear(hidden, 1)

    def forward(self, obs):
        h = self.body(obs)
        return self.policy(h), self.value(h).squeeze(-1)


def run(episodes=400, gamma=0.99, seed=0, log=print):
    ember.manual_seed(seed)
    env = CartPole(seed)
    model = ActorCritic()
    opt = ember.optim.Adam(model.parameters(), lr=1e-2)
    returns = []
    for episode in range(episodes):
        obs, done = env.reset(), False
        log_probs, values, rewards = [], [], []
        while not done:
            logits, value = model(ember.from_numpy(obs))
            dist = Categorical(logits=logits)
            action = dist.sample()
            obs, reward, done = env.step(int(action))
            log_probs.append(dist.log_prob(action))
            values.append(value)
            rewards.append(reward)
        g, discounted = 0.0, []
        for r in reversed(rewards):
            g = r + gamma * g
            discounted.append(g)
        target = ember.tensor(discounted[::-1])
        target = (target - target.mean()) / (target.std() + 1e-8) if len(rewards) > 1 else target
        values = ember.stack(values)
        advantage = target - values.detach()
        loss = -(ember.stack(log_probs) * advantage).sum() + nn.functional.mse_loss(values, target, reduction="sum")
        opt.zero_grad()
        loss.backward()
        opt.step()
        returns.append(len(rewards))
        if episode % 20 == 19:
            log(f"episode {episode + 1:4d}  average return (last 20) {np.mean(returns[-20:]):6.1f}")
    return returns


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=400)
    args = parser.parse_args()
    returns = run(args.episodes)
    windows = np.convolve(returns, np.ones(20) / 20, mode="valid")
    best, final = float(windows.max()), float(windows[-1])
    print(f"best average return over 20 consecutive episodes: {best:.1f} (target >= 150); "
          f"last 20 episodes: {final:.1f}")
    if best < 150:
        raise SystemExit("did not reach the target return")


if __name__ == "__main__":
    main()
