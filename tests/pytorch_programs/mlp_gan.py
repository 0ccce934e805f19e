"""A one-file fully connected GAN on MNIST, written for minigan's tests in the manner of the
one-file GAN programs learners copy (Variable, a Tensor type chosen by CUDA availability,
BatchNorm1d with a positional eps, BCELoss, save_image of .data[:25])."""
import argparse
import os

import numpy as np
import torch
import torch.nn as nn
import torchvision.transforms as transforms
from torch.autograd import Variable
from torch.utils.data import DataLoader
from torchvision import datasets
from torchvision.utils import save_image

parser = argparse.ArgumentParser()
parser.add_argument("--n_epochs", type=int, default=100, help="passes over the data")
parser.add_argument("--batch_size", type=int, default=64, help="images per batch")
parser.add_argument("--lr", type=float, default=0.0002, help="Adam's step size")
parser.add_argument("--b1", type=float, default=0.5, help="Adam's beta1")
parser.add_argument("--b2", type=float, default=0.999, help="Adam's beta2")
parser.add_argument("--latent_dim", type=int, default=64, help="length of the noise vectors")
parser.add_argument("--img_size", type=int, default=28, help="image side in pixels")
parser.add_argument("--channels", type=int, default=1, help="colour channels of the images")
parser.add_argument("--hidden", type=int, default=256, help="width of the hidden layers")
parser.add_argument("--sample_interval", type=int, default=400, help="batches between grids")
parser.add_argument("--data_root", default="data/mnist", help="folder of MNIST's IDX files")
opt = parser.parse_args()
print(opt)

os.makedirs("images", exist_ok=True)
img_shape = (opt.channels, opt.img_size, opt.img_size)
cuda = True if torch.cuda.is_available() else False


class Generator(nn.Module):
    def __init__(self):
        super(Generator, self).__init__()

        def layer(n_in, n_out, batch_norm=True):
            parts = [nn.Linear(n_in, n_out)]
            if batch_norm:
                parts.append(nn.BatchNorm1d(n_out, 0.8))  # eps=0.8, as the copied programs have it
            return parts + [nn.LeakyReLU(0.2, inplace=True)]

        self.model = nn.Sequential(
            *layer(opt.latent_dim, opt.hidden // 2, batch_norm=False),
            *layer(opt.hidden // 2, opt.hidden),
            nn.Linear(opt.hidden, int(np.prod(img_shape))),
            nn.Tanh()
        )

    def forward(self, z):
        img = self.model(z)
        return img.view(img.size(0), *img_shape)


class Discriminator(nn.Module):
    def __init__(self):
        super(Discriminator, self).__init__()
        self.model = nn.Sequential(
            nn.Linear(int(np.prod(img_shape)), opt.hidden),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(opt.hidden, opt.hidden // 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(opt.hidden // 2, 1),
            nn.Sigmoid(),
        )

    def forward(self, img):
        return self.model(img.view(img.size(0), -1))


adversarial_loss = torch.nn.BCELoss()
generator = Generator()
discriminator = Discriminator()
if cuda:
    generator.cuda()
    discriminator.cuda()
    adversarial_loss.cuda()

dataloader = torch.utils.data.DataLoader(
    datasets.MNIST(opt.data_root, train=True, download=True,
                   transform=transforms.Compose([transforms.Resize(opt.img_size),
                                                 transforms.ToTensor(),
                                                 transforms.Normalize([0.5], [0.5])])),
    batch_size=opt.batch_size,
    shuffle=True,
)

optimizer_G = torch.optim.Adam(generator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
optimizer_D = torch.optim.Adam(discriminator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
Tensor = torch.cuda.FloatTensor if cuda else torch.FloatTensor

for epoch in range(opt.n_epochs):
    for i, (imgs, _) in enumerate(dataloader):
        ones = Variable(Tensor(imgs.size(0), 1).fill_(1.0), requires_grad=False)
        zeros = Variable(Tensor(imgs.size(0), 1).fill_(0.0), requires_grad=False)
        real_imgs = Variable(imgs.type(Tensor))

        # the discriminator learns to tell the two apart
        z = Variable(Tensor(np.random.normal(0, 1, (imgs.shape[0], opt.latent_dim))))
        gen_imgs = generator(z)
        optimizer_D.zero_grad()
        d_loss = (adversarial_loss(discriminator(real_imgs), ones)
                  + adversarial_loss(discriminator(gen_imgs.detach()), zeros)) / 2
        d_loss.backward()
        optimizer_D.step()

        # the generator learns to be taken for real
        optimizer_G.zero_grad()
        g_loss = adversarial_loss(discriminator(gen_imgs), ones)
        g_loss.backward()
        optimizer_G.step()

        print("[Epoch %d/%d] [Batch %d/%d] [D loss: %f] [G loss: %f]"
              % (epoch, opt.n_epochs, i, len(dataloader), d_loss.item(), g_loss.item()))
        batches_done = epoch * len(dataloader) + i
        if batches_done % opt.sample_interval == 0:
            save_image(gen_imgs.data[:25], "images/%d.png" % batches_done, nrow=5, normalize=True)
