"""Small models with frozen, shared or hooked parameters, for the engine tests (8 inputs, 3 classes)."""

from torch import nn

from isacfl.models import MLP


def frozen_bias_mlp():
    model = MLP((8, 6, 3))
    model.layers[0].bias.requires_grad_(False)
    return model


def shared_weight_mlp():
    first, second = nn.Linear(8, 8), nn.Linear(8, 8)
    second.weight = first.weight
    return nn.Sequential(first, nn.ReLU(), second, nn.ReLU(), nn.Linear(8, 3))


def shared_bias_mlp():
    first, second = nn.Linear(8, 8), nn.Linear(8, 8)
    second.bias = first.bias
    return nn.Sequential(first, nn.ReLU(), second, nn.ReLU(), nn.Linear(8, 3))


def shared_layer_mlp():
    shared = nn.Linear(8, 8)
    return nn.Sequential(nn.Linear(8, 8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(), nn.Linear(8, 3))


def frozen_shared_layer_mlp():
    model = shared_layer_mlp()
    model[2].requires_grad_(False)
    return model


def forward_hook_mlp():
    model = nn.Sequential(nn.Linear(8, 6), nn.ReLU(), nn.Linear(6, 3))
    model[2].register_forward_hook(lambda module, inputs, output: output * 2)
    return model


def forward_pre_hook_mlp():
    model = nn.Sequential(nn.Linear(8, 6), nn.ReLU(), nn.Linear(6, 3))
    model.register_forward_pre_hook(lambda module, inputs: (inputs[0] + 1,))
    return model
