"""FedAvg over sensed data with unreliable uploads: a reference loop, a vectorised and a fused engine.

All engines run the same algorithm on the same random draws (E7, E8 and the local update):

1. Every device starts the round from the broadcast global model and runs ``K`` mini-batch SGD
   steps on its own noisy data. Mini-batches are drawn uniformly with replacement from the
   device's ``D_n`` samples.
2. Device ``n``'s upload gets through with probability ``p_n``, independently across devices and
   rounds.
3. The server averages the models that got through, weighted by ``D_n``; a round in which none
   got through keeps the global model.

The reference engine (``engine="reference"``) loops over devices with a ``torch.optim.SGD``
optimiser and is written to be obviously correct. The vectorised engine (``engine="vectorised"``)
trains all devices of a round at once with ``torch.func.vmap`` over ``torch.func.grad``, which
turns each layer's per-device matmuls into one batched matmul. The fused engine
(``engine="fused"``, :mod:`isacfl.fl.fused`) serves only stacks of ``nn.Linear`` layers with
LeakyReLU or ReLU between them, such as :class:`isacfl.models.MLP`: it loops over devices and runs
hand-written forward and backward passes into preallocated buffers, without autograd. All three
skip the local training of devices whose upload fails in that round, because the server discards
its result.

Speed: ``benchmarks/bench_fl.py`` times a round of 10 devices x 5 steps x 32 samples of the MNIST
MLP at one torch thread, the setting of every run. On a shared 2-core machine (torch 2.13 CPU, see
``benchmarks/bench_fl.md``) it took about 29 ms of CPU time with the fused engine, 50 ms with the
reference loop and 76 ms with the vectorised engine. The fused engine reaches about 90 % of the
machine's dense matmul rate, so little is left to gain at this model size. With two torch threads
the vectorised engine beat the reference loop by two to three times, because the loop's many
small matmuls pay the thread synchronisation cost each time.

Randomness: one seed is split by :func:`seed_streams` into independent streams, and the engine
uses four of them. The ``uploads`` stream gives one uniform per device and round, compared with
``p_n``, so two allocations with equal ``p_n`` see the same upload outcomes. The ``init`` stream
seeds the model initialisation. The ``batches`` stream draws mini-batch indices for every device
in every round, whether or not it trains, so that they do not depend on the upload outcomes.
The ``evaluation`` stream picks the subset that estimates the training loss, if one is asked for.
All draws come from numpy generators or a forked torch generator, never from global state.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import ArrayLike
from torch import nn
from tqdm import tqdm

from .aggregate import aggregate, aggregate_stacked
from .fused import FusedTrainer
from .history import History

__all__ = ["federated_averaging", "seed_streams", "draw_uploads", "draw_batch_indices", "STREAM_NAMES", "ENGINES"]

logger = logging.getLogger(__name__)

#: Independent random streams of one run, in the order :func:`seed_streams` spawns them.
STREAM_NAMES = ("positions", "partition", "acquisition", "uploads", "init", "batches", "evaluation")

#: Names accepted by the ``engine`` argument of :func:`federated_averaging`.
ENGINES = ("vectorised", "reference", "fused")

# Samples per forward pass when evaluating; bounds the memory of one evaluation chunk.
_EVAL_CHUNK = 8192


def seed_streams(seed: int | np.random.SeedSequence) -> dict[str, np.random.SeedSequence]:
    """Split one run seed into the independent streams named in :data:`STREAM_NAMES`.

    The same seed always gives the same streams, also when a ``SeedSequence`` is passed twice.

    Examples
    --------
    >>> a, b = seed_streams(7), seed_streams(7)
    >>> bool(np.random.default_rng(a["uploads"]).random() == np.random.default_rng(b["uploads"]).random())
    True
    >>> list(a)[:3]
    ['positions', 'partition', 'acquisition']
    """
    if isinstance(seed, np.random.SeedSequence):
        root = np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key, pool_size=seed.pool_size)
    else:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer or a numpy SeedSequence, got {seed!r}")
        root = np.random.SeedSequence(int(seed))
    return dict(zip(STREAM_NAMES, root.spawn(len(STREAM_NAMES))))


def draw_uploads(success_prob: ArrayLike, num_rounds: int, rng: np.random.Generator) -> np.ndarray:
    """Draw the upload outcomes ``1_n^t ~ Bernoulli(p_n)`` of every round (E7).

    One uniform ``u`` per round and device is compared with ``p_n``; the same generator state
    therefore gives the same outcome to two devices or allocations with the same ``p_n``, and
    ``p_n = 1`` always succeeds.

    Returns
    -------
    numpy.ndarray of bool, shape (num_rounds, n_devices)

    Examples
    --------
    >>> draw_uploads([0.0, 1.0], 3, np.random.default_rng(0)).tolist()
    [[False, True], [False, True], [False, True]]
    """
    p = np.asarray(success_prob, dtype=float)
    if p.ndim != 1 or np.any(~((p >= 0) & (p <= 1))):
        raise ValueError(f"success_prob must be a vector of probabilities in [0, 1], got {success_prob!r}")
    return rng.random((int(num_rounds), len(p))) < p


def draw_batch_indices(
    num_examples: ArrayLike, local_steps: int, batch_size: int, rng: np.random.Generator
) -> np.ndarray:
    """Draw one round's mini-batch indices, uniform with replacement within each device's data.

    Returns
    -------
    numpy.ndarray of int64, shape (n_devices, local_steps, batch_size)
        Index into device ``n``'s samples, in ``[0, D_n)`` (0 for a device with ``D_n = 0``).

    Examples
    --------
    >>> idx = draw_batch_indices([3, 100], 2, 4, np.random.default_rng(0))
    >>> idx.shape, int(idx[0].max()) < 3
    ((2, 2, 4), True)
    """
    counts = np.asarray(num_examples, dtype=np.int64)
    uniforms = rng.random((len(counts), int(local_steps), int(batch_size)))
    idx = np.floor(uniforms * counts[:, None, None]).astype(np.int64)
    return np.minimum(idx, np.maximum(counts - 1, 0)[:, None, None])


def _check_positive_int(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def _initial_model(model_factory: Callable[[], nn.Module], seed: np.random.SeedSequence) -> nn.Module:
    """Build the model under a torch generator seeded from ``seed``, leaving the global one untouched."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)))
        model = model_factory()
    if not isinstance(model, nn.Module):
        raise ValueError(f"model_factory must return a torch.nn.Module, got {type(model).__name__}")
    return model


@torch.no_grad()
def _evaluate(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> tuple[float, float]:
    """Return the mean cross-entropy loss and the top-1 accuracy of ``model`` on a data set."""
    if len(labels) == 0:
        return float("nan"), float("nan")
    was_training = model.training
    model.eval()
    loss_sum = 0.0
    correct = 0
    for start in range(0, len(labels), _EVAL_CHUNK):
        logits = model(images[start : start + _EVAL_CHUNK])
        target = labels[start : start + _EVAL_CHUNK]
        loss_sum += float(F.cross_entropy(logits, target, reduction="sum"))
        correct += int((logits.argmax(dim=1) == target).sum())
    model.train(was_training)
    return loss_sum / len(labels), correct / len(labels)


def _integer_labels(labels: ArrayLike, name: str) -> np.ndarray:
    """Return ``labels`` as int64, or raise ValueError if one is not a whole number.

    Examples
    --------
    >>> _integer_labels([1.0, 2.0], "test_data labels")
    array([1, 2])
    >>> _integer_labels([0, 1.7], "test_data labels")
    Traceback (most recent call last):
    ...
    ValueError: test_data labels must be integer class indices, got 1.7 at index 1
    """
    array = np.asarray(labels)
    numeric = np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    if array.dtype == np.bool_ or not numeric:
        raise ValueError(f"{name} must be integer class indices, got an array of dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.floating):
        bad = np.flatnonzero(~np.isfinite(array) | (array != np.round(array)))
        if bad.size:
            raise ValueError(f"{name} must be integer class indices, got {float(array.flat[bad[0]])!r} at index {int(bad[0])}")
    return array.astype(np.int64)


def _stack_devices(
    device_data: Sequence[tuple[ArrayLike, ArrayLike]],
) -> tuple[torch.Tensor, torch.Tensor, np.ndarray, np.ndarray]:
    """Concatenate the devices' samples; return images, labels, per-device counts and offsets."""
    if len(device_data) == 0:
        raise ValueError("device_data must hold at least one device")
    images = [np.asarray(x, dtype=np.float32) for x, _ in device_data]
    labels = [_integer_labels(y, f"labels of device {n}") for n, (_, y) in enumerate(device_data)]
    counts = np.array([len(y) for y in labels], dtype=np.int64)
    for n, (x, y) in enumerate(zip(images, labels)):
        if len(x) != len(y):
            raise ValueError(f"device {n} has {len(x)} samples but {len(y)} labels")
    if counts.sum() == 0:
        raise ValueError("device_data is invalid: every device has 0 training samples")
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    sample_shape = next(x.shape[1:] for x, c in zip(images, counts) if c > 0)
    images = [x if len(x) else np.zeros((0, *sample_shape), np.float32) for x in images]
    return torch.from_numpy(np.concatenate(images)), torch.from_numpy(np.concatenate(labels)), counts, offsets


def _train_round_reference(
    model: nn.Module,
    global_state: Mapping[str, torch.Tensor],
    images: torch.Tensor,
    labels: torch.Tensor,
    counts: np.ndarray,
    offsets: np.ndarray,
    batch_idx: np.ndarray,
    uploaded: np.ndarray,
    learning_rate: float,
    local_optimizer: str = "sgd",
) -> dict[str, torch.Tensor]:
    client_states: list[Mapping[str, torch.Tensor]] = []
    for n in range(len(counts)):
        if not (uploaded[n] and counts[n] > 0):
            client_states.append(global_state)  # never read: aggregation skips this device
            continue
        model.load_state_dict(global_state)
        model.train()
        if local_optimizer == "adam":
            optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
        else:
            optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
        for step in range(batch_idx.shape[1]):
            rows = torch.from_numpy(offsets[n] + batch_idx[n, step])
            optimizer.zero_grad()
            loss = F.cross_entropy(model(images[rows]), labels[rows])
            loss.backward()
            optimizer.step()
        client_states.append({name: t.detach().clone() for name, t in model.state_dict().items()})
    return aggregate(global_state, client_states, counts, uploaded)


def _reject_for_vmap(model: nn.Module) -> None:
    """Raise ValueError for model features that ``vmap(grad(...))`` would skip or fail on."""
    buffers = [name for name, _ in model.named_buffers()]
    if buffers:
        raise ValueError(
            f"the vectorised engine needs a model without buffers, but this one has {buffers}; "
            f"use engine='reference'"
        )

    seen: dict[int, str] = {}
    for name, module in model.named_modules(remove_duplicate=False):
        # A reused module whose parameters are all frozen reaches vmap as a constant, and functional_call handles that.
        if id(module) in seen and any(p.requires_grad for p in module.parameters()):
            raise ValueError(
                f"the vectorised engine cannot train a module used at two places ({seen[id(module)]!r} and "
                f"{name!r}), because torch.func.functional_call fails on it under vmap; use engine='reference'"
            )
        seen.setdefault(id(module), name)

    hooked_parameters = [name for name, p in model.named_parameters()
                         if p._backward_hooks or getattr(p, "_post_accumulate_grad_hooks", None)]
    if hooked_parameters:
        raise ValueError(f"the vectorised engine would skip the gradient hooks on parameters {hooked_parameters}; "
                         f"use engine='reference'")

    backward_hooked = [name or "(the model itself)" for name, module in model.named_modules()
                       if module._backward_hooks or module._backward_pre_hooks]
    global_hooks = nn.modules.module._global_backward_hooks or nn.modules.module._global_backward_pre_hooks
    if backward_hooked or global_hooks:
        where = f"on modules {backward_hooked}" if backward_hooked else "registered globally"
        raise ValueError(f"the vectorised engine cannot run module backward hooks under vmap, and this model has "
                         f"them {where}; use engine='reference'")

    dropout = [name for name, module in model.named_modules() if isinstance(module, nn.modules.dropout._DropoutNd)]
    if dropout:
        raise ValueError(f"the vectorised engine cannot draw dropout masks under vmap, and this model has dropout "
                         f"modules {dropout}; use engine='reference'")


class _VectorisedTrainer:
    """Local SGD of many devices at once: ``vmap`` over the gradient of a functional model call."""

    def __init__(self, model: nn.Module, learning_rate: float):
        from torch.func import functional_call, grad, vmap

        _reject_for_vmap(model)
        self.model = model
        self.learning_rate = learning_rate
        # Parameters with requires_grad=False stay fixed, because torch.optim.SGD skips them in the reference engine.
        self._trained = [name for name, p in model.named_parameters() if p.requires_grad]
        self._frozen = [name for name, p in model.named_parameters() if not p.requires_grad]
        # A tensor shared by two modules is trained once, under its first name, and copied to the others.
        first_name = {id(p): name for name, p in reversed(list(model.named_parameters(remove_duplicate=False)))}
        self._aliases = {name: first_name[id(p)] for name, p in model.named_parameters(remove_duplicate=False)
                         if first_name[id(p)] != name}

        def batch_loss(
            params: dict[str, torch.Tensor], frozen: dict[str, torch.Tensor], x: torch.Tensor, y: torch.Tensor
        ) -> torch.Tensor:
            return F.cross_entropy(functional_call(model, {**params, **frozen}, (x,)), y)

        self._per_device_grad = vmap(grad(batch_loss), in_dims=(0, None, 0, 0))

    def train_round(
        self,
        global_state: Mapping[str, torch.Tensor],
        images: torch.Tensor,
        labels: torch.Tensor,
        counts: np.ndarray,
        offsets: np.ndarray,
        batch_idx: np.ndarray,
        uploaded: np.ndarray,
    ) -> dict[str, torch.Tensor]:
        active = np.flatnonzero(uploaded & (counts > 0))
        rows = torch.from_numpy(offsets[active][:, None, None] + batch_idx[active])
        x_batches, y_batches = images[rows], labels[rows]
        params = {name: global_state[name].unsqueeze(0).expand(len(active), *global_state[name].shape)
                  for name in self._trained}
        frozen = {name: global_state[name] for name in self._frozen}
        self.model.train()
        for step in range(batch_idx.shape[1]):
            try:
                grads = self._per_device_grad(params, frozen, x_batches[:, step], y_batches[:, step])
            except RuntimeError as error:
                if "random" not in str(error):
                    raise
                raise ValueError(f"the model draws random numbers in its forward pass, which the vectorised "
                                 f"engine cannot do under vmap; use engine='reference' ({error})") from error
            params = {name: params[name] - self.learning_rate * grads[name] for name in self._trained}
        params.update({name: value.unsqueeze(0).expand(len(active), *value.shape) for name, value in frozen.items()})
        params.update({alias: params[source] for alias, source in self._aliases.items()})
        return aggregate_stacked(global_state, params, counts[active], np.ones(len(active), dtype=bool))


def federated_averaging(
    model_factory: Callable[[], nn.Module],
    device_data: Sequence[tuple[ArrayLike, ArrayLike]],
    success_prob: ArrayLike,
    test_data: tuple[ArrayLike, ArrayLike],
    *,
    num_rounds: int,
    local_steps: int = 5,
    batch_size: int = 32,
    learning_rate: float = 0.05,
    eval_every: int = 1,
    seed: int | np.random.SeedSequence = 0,
    engine: str = "vectorised",
    train_loss_samples: int | None = None,
    progress: bool = False,
    return_state: bool = False,
    local_optimizer: str = "sgd",
) -> History | tuple[History, dict[str, torch.Tensor]]:
    """Run FedAvg over the devices' (noisy) data with unreliable uploads and record its history.

    Parameters
    ----------
    model_factory : callable
        Returns a fresh classifier (``torch.nn.Module`` mapping a batch of samples to logits).
        It is called once, under a torch generator seeded from the ``init`` stream.
    device_data : sequence of (images, labels)
        Device ``n``'s training data: ``D_n`` samples (any shape the model accepts) and integer
        labels. A device may hold no samples; it then never contributes.
    success_prob : array_like, shape (n_devices,)
        Upload success probability ``p_n`` of each device (E6), in [0, 1].
    test_data : (images, labels)
        Clean test set for the test loss and accuracy.
    num_rounds : int
        Communication rounds ``T``.
    local_steps : int
        Local SGD steps ``K`` per round.
    batch_size : int
        Mini-batch size of a local step.
    learning_rate : float
        SGD step size ``eta``.
    eval_every : int
        Evaluate every this many rounds; round 0 and the last round are always evaluated.
    seed : int or numpy.random.SeedSequence
        Run seed, split by :func:`seed_streams`; the ``uploads``, ``init``, ``batches`` and
        ``evaluation`` streams are used here.
    engine : {"vectorised", "reference", "fused"}
        Implementation; all give the same parameters up to float rounding, which SGD amplifies
        over many rounds (see Notes). ``"fused"`` is the fastest at one torch thread but accepts
        only stacks of dense layers; :class:`isacfl.fl.RunConfig` uses it by default. The default
        here stays ``"vectorised"``, which accepts most models; see Limitations for the ones it
        rejects.
    local_optimizer : {"sgd", "adam"}
        Optimiser of the local steps. ``"adam"`` runs ``torch.optim.Adam`` (default betas) with a
        fresh state on every device in every round, so only the model is uploaded; it needs
        ``engine="reference"``. The convergence analysis assumes ``"sgd"``.
    train_loss_samples : int, optional
        Estimate the training loss on this many samples, drawn once without replacement from the
        union of the devices' data, instead of on the whole union. A uniform draw from the union
        keeps the ``D_n`` weighting, so the estimate is unbiased. None: use every sample.
    progress : bool
        Show a tqdm bar over rounds.
    return_state : bool
        Also return the state dict of the final global model.

    Returns
    -------
    History
        Training loss on the union of the devices' data (weighted by ``D_n``, i.e. the mean over
        all their samples), test loss and test accuracy at the evaluated rounds, the number of
        uploads per round and the skipped rounds. ``info`` holds the wall-clock seconds spent in
        training and in evaluation, and the CPU seconds of this process spent in training. With
        ``return_state=True``, the pair ``(history, state)``.

    Raises
    ------
    ValueError
        If an argument is out of range, ``success_prob`` does not have one entry per device, no
        device has data, the model has no trainable parameter, the vectorised engine gets a model
        it cannot train (see Limitations), or the fused engine gets a model that is not a stack
        of dense layers or labels outside its classes.

    Notes
    -----
    Implements the local update, the Bernoulli uploads (E7) and the aggregation (E8) of the
    book's system model; the denominator of E8 is the realised ``sum_{m in S_t} D_m``.

    The engines sum the same products in different orders, so their parameters differ by a few
    float32 rounding steps after one round and drift apart slowly as SGD amplifies the
    differences. In one 100-round paper-size MNIST run (10 devices), the test loss of the fused
    engine differed from the reference engine's by up to 3e-5 and its accuracy by one test image
    in 1,000; the vectorised engine's test loss differed by up to 3e-6. The same engine, seed and
    inputs always give the same numbers.

    Limitations: the vectorised engine rejects, with a ValueError that points to the reference
    engine, a model with buffers (BatchNorm), with dropout or other random operations in its
    forward pass, with gradient hooks on parameters or backward hooks on modules, or with one
    module with trainable parameters used at two places. ``torch.func.vmap`` cannot update
    buffers in place, draw different random numbers per device, or run those hooks, and
    ``functional_call`` fails on the reused module (seen with torch 2.13). A weight tensor
    shared by two modules, frozen parameters (also in a reused module) and forward hooks train
    as in the reference engine. The fused engine needs a
    chain of ``nn.Linear`` layers with LeakyReLU or ReLU between them (see
    :func:`isacfl.fl.fused.dense_layers`). Other models, such as the radar CNN, train with the
    reference or the vectorised engine.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(200, 4)).astype(np.float32)
    >>> y = (x[:, 0] > 0).astype(np.int64)
    >>> factory = lambda: nn.Linear(4, 2)
    >>> h = federated_averaging(factory, [(x[:100], y[:100]), (x[100:], y[100:])], [1.0, 0.5],
    ...                         (x, y), num_rounds=20, learning_rate=0.5, seed=1)
    >>> h.accuracy_test[0][0], h.accuracy_test[-1][0], h.final("accuracy_test") > 0.9
    (0, 20, True)
    """
    num_rounds = _check_positive_int("num_rounds", num_rounds)
    local_steps = _check_positive_int("local_steps", local_steps)
    batch_size = _check_positive_int("batch_size", batch_size)
    eval_every = _check_positive_int("eval_every", eval_every)
    if not (np.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning_rate must be > 0, got {learning_rate!r}; allowed range is (0, inf)")
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {list(ENGINES)}, got {engine!r}")
    if local_optimizer not in ("sgd", "adam"):
        raise ValueError(f"local_optimizer must be 'sgd' or 'adam', got {local_optimizer!r}")
    if local_optimizer == "adam" and engine != "reference":
        raise ValueError(f"local_optimizer='adam' needs engine='reference', got engine={engine!r}")
    images, labels, counts, offsets = _stack_devices(device_data)
    p = np.asarray(success_prob, dtype=float)
    if p.shape != counts.shape:
        raise ValueError(f"success_prob must have one entry per device ({len(counts)}), got shape {p.shape}")
    # Worker processes receive large arrays as read-only memory maps, which torch does not wrap.
    test_images = torch.from_numpy(np.array(test_data[0], dtype=np.float32))
    test_labels = torch.from_numpy(np.array(_integer_labels(test_data[1], "test_data labels")))

    streams = seed_streams(seed)
    uploads = draw_uploads(p, num_rounds, np.random.default_rng(streams["uploads"]))
    batch_rng = np.random.default_rng(streams["batches"])
    model = _initial_model(model_factory, streams["init"])
    if not any(p.requires_grad for p in model.parameters()):
        raise ValueError(f"model {type(model).__name__} has no parameter with requires_grad=True, "
                         f"so federated training would not change it")
    trainer: _VectorisedTrainer | FusedTrainer | None = None
    if engine == "vectorised":
        trainer = _VectorisedTrainer(model, learning_rate)
    elif engine == "fused":
        trainer = FusedTrainer(model, learning_rate, tuple(images.shape[1:]))
        trainer.check_labels(labels)
    global_state = {name: t.detach().clone() for name, t in model.state_dict().items()}

    loss_images, loss_labels = images, labels
    if train_loss_samples is not None:
        train_loss_samples = _check_positive_int("train_loss_samples", train_loss_samples)
        if train_loss_samples < len(labels):
            subset = np.random.default_rng(streams["evaluation"]).choice(len(labels), train_loss_samples, replace=False)
            rows = torch.from_numpy(np.sort(subset))
            loss_images, loss_labels = images[rows], labels[rows]

    history = History()
    seconds = {"train": 0.0, "train_cpu": 0.0, "eval": 0.0}

    def evaluate(server_round: int) -> None:
        start = time.perf_counter()
        model.load_state_dict(global_state)
        loss_train, _ = _evaluate(model, loss_images, loss_labels)
        loss_test, accuracy = _evaluate(model, test_images, test_labels)
        history.loss_train.append((server_round, loss_train))
        history.loss_test.append((server_round, loss_test))
        history.accuracy_test.append((server_round, accuracy))
        seconds["eval"] += time.perf_counter() - start
        logger.debug("round %s: train loss %.4f, test accuracy %.4f", server_round, loss_train, accuracy)

    evaluate(0)
    for server_round in tqdm(range(1, num_rounds + 1), desc="rounds", leave=False, disable=not progress):
        batch_idx = draw_batch_indices(counts, local_steps, batch_size, batch_rng)
        uploaded = uploads[server_round - 1]
        senders = int(np.sum(uploaded & (counts > 0)))
        history.num_uploads.append((server_round, int(uploaded.sum())))
        start, start_cpu = time.perf_counter(), time.process_time()
        if senders == 0:
            history.skipped_rounds.append(server_round)
            logger.info("round %s: no upload with data got through; keeping the global model", server_round)
        elif trainer is not None:
            global_state = trainer.train_round(global_state, images, labels, counts, offsets, batch_idx, uploaded)
        else:
            global_state = _train_round_reference(
                model, global_state, images, labels, counts, offsets, batch_idx, uploaded, learning_rate,
                local_optimizer,
            )
        seconds["train"] += time.perf_counter() - start
        seconds["train_cpu"] += time.process_time() - start_cpu
        if server_round % eval_every == 0 or server_round == num_rounds:
            evaluate(server_round)

    history.info.update(train_seconds=seconds["train"], train_cpu_seconds=seconds["train_cpu"],
                        eval_seconds=seconds["eval"], engine=engine)
    if return_state:
        return history, global_state
    return history
