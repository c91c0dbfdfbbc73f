"""Every code example of the project description (pytorch-overview.md) runs with Ember in place of torch.

Each block is kept verbatim except for the import lines, which say ``import ember as torch`` and so on.
The TorchScript block runs too (ember.jit.script) when ember.jit exists.
"""

import contextlib
import io
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

PRELUDE = """
import ember as torch
import ember.nn as nn
import ember.optim as optim
from ember.utils.data import DataLoader, TensorDataset
"""

BLOCKS = {
    "tensors": """
x = torch.tensor([1, 2, 3])
print(x)
y = torch.rand(2, 3)
print(y)
z = torch.zeros(2, 3)
assert x.tolist() == [1, 2, 3] and tuple(y.shape) == (2, 3) and z.sum().item() == 0
""",
    "autograd": """
x = torch.tensor([2.0, 3.0], requires_grad=True)
y = x ** 2 + 3 * x
y_sum = y.sum()
y_sum.backward()
print(x.grad)  # Prints gradients: dy/dx
assert x.grad.tolist() == [7.0, 9.0]
""",
    "nn_and_optim": """
class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.fc = nn.Linear(2, 1)  # Linear layer

    def forward(self, x):
        return self.fc(x)

net = Net()
print(net)
assert str(net) == "Net(\\n  (fc): Linear(in_features=2, out_features=1, bias=True)\\n)"

optimizer = optim.SGD(net.parameters(), lr=0.01)
before = net.fc.weight.detach().clone()
optimizer.zero_grad()    # Zero gradients
output = net(torch.tensor([[1.0, 2.0]]))
loss = (output - torch.tensor([[1.0]])).pow(2).sum()  # Dummy loss
loss.backward()          # Backpropagation
optimizer.step()         # Update parameters
assert not torch.equal(before, net.fc.weight.detach())
""",
    "data_loading": """
dataset = TensorDataset(torch.rand(100, 2), torch.rand(100, 1))
loader = DataLoader(dataset, batch_size=10, shuffle=True)
n = 0
for data, target in loader:
    print(data, target)
    n += data.shape[0]
assert n == 100
""",
    "device": """
class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.fc = nn.Linear(2, 1)

    def forward(self, x):
        return self.fc(x)

device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
model = Net().to(device)
data = torch.rand(2, 2).to(device)
assert model(data).shape == (2, 1)
""",
    "classification": """
X = torch.rand(100, 2)
y = (X.sum(axis=1) > 1).float().unsqueeze(1)  # Label: 1 if sum > 1, else 0

class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.fc = nn.Linear(2, 1)

    def forward(self, x):
        return torch.sigmoid(self.fc(x))

model = Net()
criterion = nn.BCELoss()
optimizer = optim.SGD(model.parameters(), lr=0.1)
losses = []
for epoch in range(100):
    optimizer.zero_grad()
    outputs = model(X)
    loss = criterion(outputs, y)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
    if epoch % 10 == 0:
        print(f'Epoch {epoch} Loss {loss.item()}')
assert losses[-1] < losses[0]
""",
}


@pytest.mark.parametrize("name", list(BLOCKS))
def test_seed_block(name):
    code = PRELUDE + textwrap.dedent(BLOCKS[name])
    with contextlib.redirect_stdout(io.StringIO()) as out:
        exec(compile(code, f"<seed:{name}>", "exec"), {"__name__": f"seed_{name}"})
    assert out.getvalue()  or name == "device"


def test_move_to_gpu_block_without_gpu_is_a_clear_error():
    import ember as torch

    x = torch.tensor([1, 2, 3])
    if torch.cuda.is_available():
        assert x.to("cuda").device.type == "cuda"
    else:
        with pytest.raises(RuntimeError, match="cuda"):
            x.to("cuda")


def test_torchscript_block(tmp_path):
    """scripted_model = torch.jit.script(model); scripted_model.save('model.pt'); loads in a fresh process."""
    import ember as torch
    import ember.nn as nn

    if not hasattr(torch.jit, "script"):
        pytest.fail("ember.jit.script is missing")

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 1)

        def forward(self, x):
            return torch.sigmoid(self.fc(x))

    model = Net()
    scripted_model = torch.jit.script(model)
    path = os.path.join(tmp_path, "model.pt")
    scripted_model.save(path)
    x = torch.rand(3, 2)
    want = model(x).detach().numpy().tolist()
    code = (
        "import ember, json, sys\n"
        f"m = ember.jit.load({path!r})\n"
        f"x = ember.tensor({x.tolist()!r})\n"
        "print(json.dumps(m(x).detach().numpy().tolist()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    import json

    got = json.loads(out.stdout.strip().splitlines()[-1])
    np.testing.assert_allclose(got, want, rtol=1e-6)
