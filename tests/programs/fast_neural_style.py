"""pytorch/examples fast_neural_style: transformer_net.py (TransformerNet, ConvLayer,
ResidualBlock, UpsampleConvLayer) and utils.py (gram_matrix, normalize_batch) unchanged, and
neural_style.py's training step, shortened; ported by changing the imports only.

Shortened: the loss network is the example's pretrained VGG16 (torchvision, and weights
this comparison cannot download); here the "features" are the normalised images themselves,
so the content loss compares the stylised batch with its input and the style loss compares
their Gram matrices with the style image's, with the example's weights, optimizer (Adam,
lr 1e-3) and loss arithmetic. The images are random (from the seed), 2 per batch at 32x32,
for 3 steps; the log line is the example's without the time stamp, and the sum of squares of
every parameter's gradient is printed after the first backward (after an Adam step, weights
whose gradients are at float32 noise level have moved by +-lr in either library, so later
gradients agree only to ~1e-3; the losses still agree to ~1e-6).
tests/test_conv_programs.py runs it with minitorch and, its imports switched back, with
PyTorch, and compares every printed number.
"""
import minitorch as torch
from minitorch.optim import Adam


# transformer_net.py
class TransformerNet(torch.nn.Module):
    def __init__(self):
        super(TransformerNet, self).__init__()
        # Initial convolution layers
        self.conv1 = ConvLayer(3, 32, kernel_size=9, stride=1)
        self.in1 = torch.nn.InstanceNorm2d(32, affine=True)
        self.conv2 = ConvLayer(32, 64, kernel_size=3, stride=2)
        self.in2 = torch.nn.InstanceNorm2d(64, affine=True)
        self.conv3 = ConvLayer(64, 128, kernel_size=3, stride=2)
        self.in3 = torch.nn.InstanceNorm2d(128, affine=True)
        # Residual layers
        self.res1 = ResidualBlock(128)
        self.res2 = ResidualBlock(128)
        self.res3 = ResidualBlock(128)
        self.res4 = ResidualBlock(128)
        self.res5 = ResidualBlock(128)
        # Upsampling Layers
        self.deconv1 = UpsampleConvLayer(128, 64, kernel_size=3, stride=1, upsample=2)
        self.in4 = torch.nn.InstanceNorm2d(64, affine=True)
        self.deconv2 = UpsampleConvLayer(64, 32, kernel_size=3, stride=1, upsample=2)
        self.in5 = torch.nn.InstanceNorm2d(32, affine=True)
        self.deconv3 = ConvLayer(32, 3, kernel_size=9, stride=1)
        # Non-linearities
        self.relu = torch.nn.ReLU()

    def forward(self, X):
        y = self.relu(self.in1(self.conv1(X)))
        y = self.relu(self.in2(self.conv2(y)))
        y = self.relu(self.in3(self.conv3(y)))
        y = self.res1(y)
        y = self.res2(y)
        y = self.res3(y)
        y = self.res4(y)
        y = self.res5(y)
        y = self.relu(self.in4(self.deconv1(y)))
        y = self.relu(self.in5(self.deconv2(y)))
        y = self.deconv3(y)
        return y


class ConvLayer(torch.nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride):
        super(ConvLayer, self).__init__()
        reflection_padding = kernel_size // 2
        self.reflection_pad = torch.nn.ReflectionPad2d(reflection_padding)
        self.conv2d = torch.nn.Conv2d(in_channels, out_channels, kernel_size, stride)

    def forward(self, x):
        out = self.reflection_pad(x)
        out = self.conv2d(out)
        return out


class ResidualBlock(torch.nn.Module):
    """ResidualBlock
    introduced in: https://arxiv.org/abs/1512.03385
    recommended architecture: http://torch.ch/blog/2016/02/04/resnets.html
    """

    def __init__(self, channels):
        super(ResidualBlock, self).__init__()
        self.conv1 = ConvLayer(channels, channels, kernel_size=3, stride=1)
        self.in1 = torch.nn.InstanceNorm2d(channels, affine=True)
        self.conv2 = ConvLayer(channels, channels, kernel_size=3, stride=1)
        self.in2 = torch.nn.InstanceNorm2d(channels, affine=True)
        self.relu = torch.nn.ReLU()

    def forward(self, x):
        residual = x
        out = self.relu(self.in1(self.conv1(x)))
        out = self.in2(self.conv2(out))
        out = out + residual
        return out


class UpsampleConvLayer(torch.nn.Module):
    """UpsampleConvLayer
    Upsamples the input and then does a convolution. This method gives better results
    compared to ConvTranspose2d.
    ref: http://distill.pub/2016/deconv-checkerboard/
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride, upsample=None):
        super(UpsampleConvLayer, self).__init__()
        self.upsample = upsample
        reflection_padding = kernel_size // 2
        self.reflection_pad = torch.nn.ReflectionPad2d(reflection_padding)
        self.conv2d = torch.nn.Conv2d(in_channels, out_channels, kernel_size, stride)

    def forward(self, x):
        x_in = x
        if self.upsample:
            x_in = torch.nn.functional.interpolate(x_in, mode='nearest', scale_factor=self.upsample)
        out = self.reflection_pad(x_in)
        out = self.conv2d(out)
        return out


# utils.py
def gram_matrix(y):
    (b, ch, h, w) = y.size()
    features = y.view(b, ch, w * h)
    features_t = features.transpose(1, 2)
    gram = features.bmm(features_t) / (ch * h * w)
    return gram


def normalize_batch(batch):
    # normalize using imagenet mean and std
    mean = batch.new_tensor([0.485, 0.456, 0.406]).view(-1, 1, 1)
    std = batch.new_tensor([0.229, 0.224, 0.225]).view(-1, 1, 1)
    batch = batch.div_(255.0)
    return (batch - mean) / std


# neural_style.py's train(), shortened (see the docstring)
torch.manual_seed(42)
batch_size, image_size, steps = 2, 32, 3
content_weight, style_weight = 1e5, 1e10
transformer = TransformerNet()
print(transformer)
optimizer = Adam(transformer.parameters(), 1e-3)
mse_loss = torch.nn.MSELoss()

style = torch.rand(1, 3, image_size, image_size) * 255
style = style.repeat(batch_size, 1, 1, 1)
features_style = [normalize_batch(style)]
gram_style = [gram_matrix(y) for y in features_style]

transformer.train()
agg_content_loss = 0.
agg_style_loss = 0.
count = 0
for batch_id in range(steps):
    x = torch.rand(batch_size, 3, image_size, image_size) * 255
    n_batch = len(x)
    count += n_batch
    optimizer.zero_grad()

    y = transformer(x)

    features_y = [normalize_batch(y)]
    features_x = [normalize_batch(x)]

    content_loss = content_weight * mse_loss(features_y[0], features_x[0])

    style_loss = 0.
    for ft_y, gm_s in zip(features_y, gram_style):
        gm_y = gram_matrix(ft_y)
        style_loss += mse_loss(gm_y, gm_s[:n_batch, :, :])
    style_loss *= style_weight

    total_loss = content_loss + style_loss
    total_loss.backward()
    if batch_id == 0:
        print("gradient sum of squares: {:.6e}".format(
            sum(float((p.grad * p.grad).sum()) for p in transformer.parameters())))
    optimizer.step()

    agg_content_loss += content_loss.item()
    agg_style_loss += style_loss.item()

    mesg = "Epoch {}:\t[{}/{}]\tcontent: {:.6f}\tstyle: {:.6f}\ttotal: {:.6f}".format(
        1, count, steps * batch_size,
        agg_content_loss / (batch_id + 1),
        agg_style_loss / (batch_id + 1),
        (agg_content_loss + agg_style_loss) / (batch_id + 1)
    )
    print(mesg)
