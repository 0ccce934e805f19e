"""A DCGAN on 32x32 images, written for minigan's tests in the manner of the DCGAN example that
ships with PyTorch (argparse options, weights_init through .data, nn.Sequential networks,
BCELoss against torch.full labels, vutils.save_image, state dicts saved every epoch).

    python dcgan.py --dataset mnist --dataroot data --niter 1 --dry-run
"""
from __future__ import print_function

import argparse
import os
import random

import torch
import torch.backends.cudnn as cudnn
import torch.nn as nn
import torch.nn.parallel
import torch.optim as optim
import torch.utils.data
import torchvision.datasets as dset
import torchvision.transforms as transforms
import torchvision.utils as vutils

parser = argparse.ArgumentParser(description="DCGAN, 32x32")
parser.add_argument("--dataset", required=True, help="mnist | folder | fake")
parser.add_argument("--dataroot", help="where the data set lives")
parser.add_argument("--workers", type=int, default=2, help="data loading workers")
parser.add_argument("--batchSize", type=int, default=64)
parser.add_argument("--imageSize", type=int, default=32, help="side of the (square) images")
parser.add_argument("--nz", type=int, default=100, help="length of the noise vector")
parser.add_argument("--ngf", type=int, default=64, help="generator width")
parser.add_argument("--ndf", type=int, default=64, help="discriminator width")
parser.add_argument("--niter", type=int, default=25, help="epochs")
parser.add_argument("--lr", type=float, default=0.0002)
parser.add_argument("--beta1", type=float, default=0.5)
parser.add_argument("--cuda", action="store_true", help="train on the GPU")
parser.add_argument("--dry-run", action="store_true", help="one batch, to check that it runs")
parser.add_argument("--netG", default="", help="generator weights to start from")
parser.add_argument("--netD", default="", help="discriminator weights to start from")
parser.add_argument("--outf", default="out", help="folder for samples and checkpoints")
parser.add_argument("--manualSeed", type=int)
opt = parser.parse_args()
print(opt)

try:
    os.makedirs(opt.outf)
except OSError:
    pass

if opt.manualSeed is None:
    opt.manualSeed = random.randint(1, 10000)
print("Random Seed:", opt.manualSeed)
random.seed(opt.manualSeed)
torch.manual_seed(opt.manualSeed)
cudnn.benchmark = True

if torch.cuda.is_available() and not opt.cuda:
    print("a CUDA device is available: consider --cuda")
if torch.backends.mps.is_available():
    print("an Apple GPU is available")

to_unit_range = transforms.Normalize((0.5,), (0.5,))
if opt.dataset == "mnist":
    dataset = dset.MNIST(root=opt.dataroot, train=True, download=True,
                         transform=transforms.Compose([transforms.Resize(opt.imageSize),
                                                       transforms.ToTensor(), to_unit_range]))
    nc = 1
elif opt.dataset == "folder":
    dataset = dset.ImageFolder(opt.dataroot, transform=transforms.Compose([
        transforms.Resize(opt.imageSize), transforms.CenterCrop(opt.imageSize),
        transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))]))
    nc = 3
elif opt.dataset == "fake":
    dataset = dset.FakeData(size=256, image_size=(3, opt.imageSize, opt.imageSize),
                            transform=transforms.ToTensor())
    nc = 3
else:
    raise ValueError("unknown dataset %s" % opt.dataset)

dataloader = torch.utils.data.DataLoader(dataset, batch_size=opt.batchSize, shuffle=True,
                                         num_workers=opt.workers, pin_memory=True)
device = torch.device("cuda:0" if opt.cuda else "cpu")
nz, ngf, ndf = opt.nz, opt.ngf, opt.ndf


def weights_init(m):
    name = m.__class__.__name__
    if "Conv" in name:
        m.weight.data.normal_(0.0, 0.02)
    elif "BatchNorm" in name:
        m.weight.data.normal_(1.0, 0.02)
        m.bias.data.fill_(0)


class Generator(nn.Module):
    def __init__(self):
        super(Generator, self).__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False),       # 4x4
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),  # 8x8
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),      # 16x16
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),           # 32x32
            nn.Tanh(),
        )

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self):
        super(Discriminator, self).__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),                    # 16x16
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),               # 8x8
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),           # 4x4
            nn.BatchNorm2d(ndf * 4),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 4, 1, 4, 1, 0, bias=False),                 # 1x1
            nn.Sigmoid(),
        )

    def forward(self, input):
        return self.main(input).view(-1, 1).squeeze(1)


netG = Generator().to(device)
netG.apply(weights_init)
if opt.netG:
    netG.load_state_dict(torch.load(opt.netG))
print(netG)
netD = Discriminator().to(device)
netD.apply(weights_init)
if opt.netD:
    netD.load_state_dict(torch.load(opt.netD))
print(netD)

criterion = nn.BCELoss()
fixed_noise = torch.randn(opt.batchSize, nz, 1, 1, device=device)
REAL, FAKE = 1.0, 0.0
optimizerD = optim.Adam(netD.parameters(), lr=opt.lr, betas=(opt.beta1, 0.999))
optimizerG = optim.Adam(netG.parameters(), lr=opt.lr, betas=(opt.beta1, 0.999))

if opt.dry_run:
    opt.niter = 1
for epoch in range(opt.niter):
    for i, (real, _) in enumerate(dataloader):
        real = real.to(device)
        b_size = real.size(0)

        # discriminator: real images towards 1, generated ones towards 0
        netD.zero_grad()
        label = torch.full((b_size,), REAL, dtype=real.dtype, device=device)
        out_real = netD(real)
        errD_real = criterion(out_real, label)
        errD_real.backward()
        noise = torch.randn(b_size, nz, 1, 1, device=device)
        fake = netG(noise)
        label.fill_(FAKE)
        out_fake = netD(fake.detach())
        errD_fake = criterion(out_fake, label)
        errD_fake.backward()
        optimizerD.step()

        # generator: make the discriminator call its images real
        netG.zero_grad()
        label.fill_(REAL)
        out = netD(fake)
        errG = criterion(out, label)
        errG.backward()
        optimizerG.step()

        print("[%d/%d][%d/%d] Loss_D: %.4f Loss_G: %.4f D(x): %.4f D(G(z)): %.4f / %.4f"
              % (epoch, opt.niter, i, len(dataloader), (errD_real + errD_fake).item(),
                 errG.item(), out_real.mean().item(), out_fake.mean().item(), out.mean().item()))
        if i % 100 == 0:
            vutils.save_image(real, "%s/real_samples.png" % opt.outf, normalize=True)
            with torch.no_grad():
                samples = netG(fixed_noise)
            vutils.save_image(samples.detach(), "%s/fake_samples_epoch_%03d.png"
                              % (opt.outf, epoch), normalize=True)
        if opt.dry_run:
            break
    torch.save(netG.state_dict(), "%s/netG_epoch_%d.pth" % (opt.outf, epoch))
    torch.save(netD.state_dict(), "%s/netD_epoch_%d.pth" % (opt.outf, epoch))
