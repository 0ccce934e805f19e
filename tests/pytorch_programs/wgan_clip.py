"""The original WGAN (weight clipping, RMSprop) with small convolutional networks on MNIST,
written for minigan's tests in the manner of the WGAN programs learners copy: after every
critic step each parameter is clipped in place through `p.data.clamp_(-c, c)`."""
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.transforms as transforms
from torch.utils.data import DataLoader
from torchvision import datasets
from torchvision.utils import save_image

parser = argparse.ArgumentParser()
parser.add_argument("--n_epochs", type=int, default=50)
parser.add_argument("--batch_size", type=int, default=64)
parser.add_argument("--lr", type=float, default=0.00005, help="RMSprop's learning rate")
parser.add_argument("--latent_dim", type=int, default=32)
parser.add_argument("--img_size", type=int, default=16)
parser.add_argument("--width", type=int, default=16, help="channels of the first layer")
parser.add_argument("--n_critic", type=int, default=5)
parser.add_argument("--clip_value", type=float, default=0.01, help="bound of the critic's weights")
parser.add_argument("--sample_interval", type=int, default=200)
parser.add_argument("--data_root", default="data/mnist")
parser.add_argument("--max_batches", type=int, default=0)
opt = parser.parse_args()
print(opt)
os.makedirs("images", exist_ok=True)

cuda = torch.cuda.is_available()
device = "cuda" if cuda else "cpu"
quarter = opt.img_size // 4


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(opt.latent_dim, opt.width * 2 * quarter * quarter)
        self.up1 = nn.ConvTranspose2d(opt.width * 2, opt.width, 4, 2, 1)
        self.bn1 = nn.BatchNorm2d(opt.width)
        self.up2 = nn.ConvTranspose2d(opt.width, 1, 4, 2, 1)

    def forward(self, z):
        x = F.relu(self.fc(z)).view(-1, opt.width * 2, quarter, quarter)
        x = F.relu(self.bn1(self.up1(x)))
        return torch.tanh(self.up2(x))


class Critic(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, opt.width, 4, 2, 1)
        self.conv2 = nn.Conv2d(opt.width, opt.width * 2, 4, 2, 1)
        self.fc = nn.Linear(opt.width * 2 * quarter * quarter, 1)

    def forward(self, img):
        x = F.leaky_relu(self.conv1(img), 0.2)
        x = F.leaky_relu(self.conv2(x), 0.2)
        return self.fc(x.view(x.size(0), -1))


generator, critic = Generator().to(device), Critic().to(device)
dataloader = DataLoader(
    datasets.MNIST(opt.data_root, train=True, download=True,
                   transform=transforms.Compose([transforms.Resize(opt.img_size),
                                                 transforms.ToTensor(),
                                                 transforms.Normalize((0.5,), (0.5,))])),
    batch_size=opt.batch_size, shuffle=True, num_workers=0)
optimizer_G = torch.optim.RMSprop(generator.parameters(), lr=opt.lr)
optimizer_D = torch.optim.RMSprop(critic.parameters(), lr=opt.lr)

batches_done = 0
for epoch in range(opt.n_epochs):
    for i, (imgs, _) in enumerate(dataloader):
        if opt.max_batches and i >= opt.max_batches:
            break
        real_imgs = imgs.to(device)

        optimizer_D.zero_grad()
        z = torch.randn(imgs.size(0), opt.latent_dim, device=device)
        fake_imgs = generator(z).detach()
        loss_D = -torch.mean(critic(real_imgs)) + torch.mean(critic(fake_imgs))
        loss_D.backward()
        optimizer_D.step()
        for p in critic.parameters():
            p.data.clamp_(-opt.clip_value, opt.clip_value)

        if i % opt.n_critic == 0:
            optimizer_G.zero_grad()
            gen_imgs = generator(z)
            loss_G = -torch.mean(critic(gen_imgs))
            loss_G.backward()
            optimizer_G.step()
            print("[Epoch %d/%d] [Batch %d/%d] [D loss: %f] [G loss: %f]"
                  % (epoch, opt.n_epochs, i, len(dataloader), loss_D.item(), loss_G.item()))
        if batches_done % opt.sample_interval == 0:
            save_image(fake_imgs.data[:25], "images/%d.png" % batches_done, nrow=5, normalize=True)
        batches_done += 1

largest = max(p.abs().max().item() for p in critic.parameters())
print("largest critic weight: %.4f (clip value %.4f)" % (largest, opt.clip_value))
