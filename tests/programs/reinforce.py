"""pytorch/examples reinforcement_learning/reinforce.py, on a toy environment.

Ported by changing the imports only. The example's CartPole (gym) is replaced by a
five-cell corridor written here with NumPy (gym is not a dependency): the agent starts in
the middle, moves left or right, earns 1 at the right end and -0.1 at the left end. The
policy, the Categorical sampling, the discounted and normalised returns and the
``-log_prob * R`` loss are the example's. tests/test_distributions.py runs it with
minitorch and, its imports switched back, with PyTorch, and compares every printed number.
"""
import numpy as np
import minitorch as torch
import minitorch.nn as nn
import minitorch.nn.functional as F
import minitorch.optim as optim
from minitorch.distributions import Categorical

GAMMA = 0.99
CELLS = 5


class Corridor:
    """A 1-D corridor: observation one-hot of the position; episode ends at either end or after 12 steps."""

    def reset(self):
        self.pos, self.t = CELLS // 2, 0
        return self._obs()

    def _obs(self):
        obs = np.zeros(CELLS, np.float32)
        obs[self.pos] = 1.0
        return obs

    def step(self, action):
        self.pos += 1 if action == 1 else -1
        self.t += 1
        if self.pos == CELLS - 1:
            return self._obs(), 1.0, True
        if self.pos == 0:
            return self._obs(), -0.1, True
        return self._obs(), 0.0, self.t >= 12


class Policy(nn.Module):
    def __init__(self):
        super(Policy, self).__init__()
        self.affine1 = nn.Linear(CELLS, 16)
        self.dropout = nn.Dropout(p=0.6)
        self.affine2 = nn.Linear(16, 2)
        self.saved_log_probs = []
        self.rewards = []

    def forward(self, x):
        x = self.affine1(x)
        x = self.dropout(x)
        x = F.relu(x)
        action_scores = self.affine2(x)
        return F.softmax(action_scores, dim=1)


torch.manual_seed(543)
policy = Policy()
optimizer = optim.Adam(policy.parameters(), lr=1e-2)
eps = np.finfo(np.float32).eps.item()


def select_action(state):
    state = torch.from_numpy(state).float().unsqueeze(0)
    probs = policy(state)
    m = Categorical(probs)
    action = m.sample()
    policy.saved_log_probs.append(m.log_prob(action))
    return action.item()


def finish_episode():
    R = 0
    policy_loss = []
    returns = []
    for r in policy.rewards[::-1]:
        R = r + GAMMA * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    for log_prob, R in zip(policy.saved_log_probs, returns):
        policy_loss.append(-log_prob * R)
    optimizer.zero_grad()
    policy_loss = torch.cat(policy_loss).sum()
    policy_loss.backward()
    optimizer.step()
    del policy.rewards[:]
    del policy.saved_log_probs[:]
    return policy_loss.item()


def main():
    env = Corridor()
    running_reward = 0.0
    for i_episode in range(1, 31):
        state, ep_reward = env.reset(), 0
        for t in range(1, 13):
            action = select_action(state)
            state, reward, done = env.step(action)
            policy.rewards.append(reward)
            ep_reward += reward
            if done:
                break
        running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward
        if len(policy.rewards) < 2:  # one step: the normalised return is undefined (std of one value)
            del policy.rewards[:]
            del policy.saved_log_probs[:]
            continue
        loss = finish_episode()
        if i_episode % 5 == 0:
            print(f"Episode {i_episode}\tsteps {t}\tLast reward: {ep_reward:.2f}\t"
                  f"Average reward: {running_reward:.4f}\tloss {loss:.6f}")


main()
