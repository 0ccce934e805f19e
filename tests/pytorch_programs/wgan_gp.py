"""WGAN-GP with fully connected networks on MNIST, written for minigan's tests in the manner of
the WGAN-GP programs learners copy: the gradient penalty takes torch.autograd.grad of the
critic with create_graph=True and ones_like grad_outputs, so the critic's update is a second
derivative."""
import argparse
import os

import numpy as np
import torch
import torch.autograd as autograd
import torch.nn as nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.utils import save_image

parser = argparse.ArgumentParser()
parser.add_argument("--n_epochs", type=int, default=200)
parser.add_argument("--batch_size", type=int, default=64)
parser.add_argument("--lr", type=float, default=0.0002)
parser.add_argument("--b1", type=float, default=0.5)
parser.add_argument("--b2", type=float, default=0.999)
parser.add_argument("--latent_dim", type=int, default=100)
parser.add_argument("--img_size", type=int, default=28)
parser.add_argument("--hidden", type=int, default=256)
parser.add_argument("--n_critic", type=int, default=5, help="critic steps per generator step")
parser.add_argument("--lambda_gp", type=float, default=10.0)
parser.add_argument("--sample_interval", type=int, default=400)
parser.add_argument("--data_root", default="data/mnist")
parser.add_argument("--max_batches", type=int, default=0, help="stop each epoch early (0: never)")
opt = parser.parse_args()
print(opt)

os.makedirs("images", exist_ok=True)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
img_shape = (1, opt.img_size, opt.img_size)
n_pixels = int(np.prod(img_shape))

generator = nn.Sequential(
    nn.Linear(opt.latent_dim, opt.hidden), nn.LeakyReLU(0.2, inplace=True),
    nn.Linear(opt.hidden, opt.hidden), nn.LeakyReLU(0.2, inplace=True),
    nn.Linear(opt.hidden, n_pixels), nn.Tanh(),
).to(device)
critic = nn.Sequential(
    nn.Linear(n_pixels, opt.hidden), nn.LeakyReLU(0.2, inplace=True),
    nn.Linear(opt.hidden, opt.hidden // 2), nn.LeakyReLU(0.2, inplace=True),
    nn.Linear(opt.hidden // 2, 1),
).to(device)


def gradient_penalty(critic, real, fake):
    """(||d critic / d x|| - 1)^2 at random points between real and fake samples."""
    alpha = torch.rand(real.size(0), 1, device=device)
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    scores = critic(mixed)
    gradients = torch.autograd.grad(outputs=scores, inputs=mixed,
                                    grad_outputs=torch.ones_like(scores),
                                    create_graph=True, retain_graph=True, only_inputs=True)[0]
    gradients = gradients.view(gradients.size(0), -1)
    return ((gradients.norm(2, dim=1) - 1) ** 2).mean()


loader = DataLoader(datasets.MNIST(opt.data_root, train=True, download=True,
                                   transform=transforms.Compose([
                                       transforms.Resize(opt.img_size), transforms.ToTensor(),
                                       transforms.Normalize([0.5], [0.5])])),
                    batch_size=opt.batch_size, shuffle=True, drop_last=True)
optimizer_G = torch.optim.Adam(generator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
optimizer_D = torch.optim.Adam(critic.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))

batches_done = 0
for epoch in range(opt.n_epochs):
    for i, (imgs, _) in enumerate(loader):
        if opt.max_batches and i >= opt.max_batches:
            break
        real = imgs.to(device).view(imgs.size(0), -1)

        optimizer_D.zero_grad()
        z = torch.randn(real.size(0), opt.latent_dim, device=device)
        fake = generator(z)
        gp = gradient_penalty(critic, real.data, fake.data)
        d_loss = -torch.mean(critic(real)) + torch.mean(critic(fake.detach())) + opt.lambda_gp * gp
        d_loss.backward()
        optimizer_D.step()

        if i % opt.n_critic == 0:
            optimizer_G.zero_grad()
            g_loss = -torch.mean(critic(generator(z)))
            g_loss.backward()
            optimizer_G.step()
            print("[Epoch %d/%d] [Batch %d/%d] [D loss: %f] [G loss: %f] [GP: %f]"
                  % (epoch, opt.n_epochs, i, len(loader), d_loss.item(), g_loss.item(), gp.item()))
            if batches_done % opt.sample_interval == 0:
                samples = fake.view(fake.size(0), *img_shape)
                save_image(samples.data[:25], "images/%d.png" % batches_done, nrow=5,
                           normalize=True)
            batches_done += opt.n_critic
