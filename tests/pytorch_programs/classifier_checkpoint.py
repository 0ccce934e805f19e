"""A small classifier on random 2-D points, written for minigan's tests in the manner of
PyTorch's beginner examples: TensorDataset, random_split, DataLoader with PyTorch's defaults,
CrossEntropyLoss, SGD with momentum, and a checkpoint dict {model, optimizer, epoch} saved with
torch.save, loaded with torch.load and resumed."""
import argparse
import os

import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset, random_split

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--checkpoint", default="checkpoint.pt")
opt = parser.parse_args()

torch.manual_seed(1)
points = torch.randn(600, 2)
labels = (points[:, 0] * points[:, 1] > 0).long()  # the quadrant's parity
train_set, test_set = random_split(TensorDataset(points, labels), [500, 100])
train_loader = DataLoader(train_set, batch_size=opt.batch_size, shuffle=True, num_workers=2)
test_loader = DataLoader(test_set, batch_size=opt.batch_size)
print("batches per epoch:", len(train_loader), "test batches:", len(test_loader))

model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 2))
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


def accuracy():
    model.eval()
    correct = 0
    with torch.no_grad():
        for inputs, targets in test_loader:
            correct += (model(inputs).argmax(dim=1) == targets).sum().item()
    model.train()
    return correct / len(test_set)


start = 0
if os.path.exists(opt.checkpoint):
    state = torch.load(opt.checkpoint, map_location="cpu")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    start = state["epoch"] + 1
    print("resumed from epoch", state["epoch"], "accuracy", state["accuracy"])

for epoch in range(start, start + opt.epochs):
    total = 0.0
    for inputs, targets in train_loader:
        optimizer.zero_grad()
        loss = criterion(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * inputs.shape[0]
    acc = accuracy()
    print(f"epoch {epoch}: loss {total / len(train_set):.4f} accuracy {acc:.2f}")
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "epoch": epoch, "accuracy": acc}, opt.checkpoint)
