"""Benchmark the FL engines: per-round time of the reference, vectorised and fused engines, their
ratios, and the share of the machine's dense-matmul rate that local training reaches.

Run from the repository root::

    .venv/bin/python benchmarks/bench_fl.py [--rounds 10] [--threads 1] [--flower-python PATH]

Workload: the default scenario (10 devices, seed 0) under the proposed allocation gives the
sample counts ``D_n``; the 784-256-256-10 MLP trains ``K = 5`` local steps of batch 32 per device
and round. Every upload succeeds, so every device trains in every round and all engines do the
same work. The data are random MNIST-shaped tensors, which cost the same to train on as MNIST.

The engines run side by side: repeats alternate between them and the median round time of each
is reported. The matmul rate is measured at the same thread count with a square float32 matmul.

Flower: if a Python interpreter with ``flwr[simulation]`` is given (``--flower-python``, or the
``FLWR_PYTHON`` environment variable), the same FedAvg workload runs under Flower's simulation
engine in a subprocess, and the ratio of its per-round time to the vectorised and fused engines'
is printed.
That interpreter must also import torch and isacfl. When none is given or it fails, the script
says so and why.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from isacfl.allocation import allocate
from isacfl.fl import ENGINES, federated_averaging
from isacfl.models import MLP, MNIST_LAYER_SIZES
from isacfl.scenario import Scenario

LOCAL_STEPS = 5
BATCH_SIZE = 32
LEARNING_RATE = 0.05


def workload_samples(n_devices: int = 10, seed: int = 0) -> list[int]:
    """Return the sample counts ``D_n`` of the proposed allocation on the default scenario."""
    allocation = allocate(Scenario.random(n_devices, seed=seed), "proposed")
    return [int(d) for d in allocation.samples]


def synthetic_devices(samples: list[int], seed: int = 0):
    """Random MNIST-shaped images and labels for each device, and a small test set."""
    rng = np.random.default_rng(seed)
    data = [(rng.random((d, 28, 28), dtype=np.float32), rng.integers(0, 10, d)) for d in samples]
    test = (rng.random((100, 28, 28), dtype=np.float32), rng.integers(0, 10, 100))
    return data, test


def training_flops_per_round(n_devices: int) -> float:
    """Floating-point operations of one round of local training, by the usual 6 x MACs rule.

    A dense layer costs ``2 m n`` FLOPs per sample forward and about twice that backward
    (gradients with respect to inputs and weights); biases and activations are ignored.
    """
    macs = sum(a * b for a, b in zip(MNIST_LAYER_SIZES[:-1], MNIST_LAYER_SIZES[1:]))
    return 6.0 * macs * n_devices * LOCAL_STEPS * BATCH_SIZE


def matmul_gflops(size: int = 1024, repeats: int = 20) -> tuple[float, float]:
    """Measure the dense float32 matmul rate in GFLOP/s, by wall-clock and by CPU time (medians)."""
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(size, size, generator=generator)
    b = torch.randn(size, size, generator=generator)
    a @ b  # warm-up
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        a @ b
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    flops = 2.0 * size**3
    return flops / statistics.median(wall) / 1e9, flops / statistics.median(cpu) / 1e9


def engine_round_seconds(engine: str, data, test, rounds: int) -> tuple[float, float]:
    """Return the wall-clock and CPU seconds per training round of one run of ``engine``."""
    history = federated_averaging(MLP, data, [1.0] * len(data), test, num_rounds=rounds,
                                  local_steps=LOCAL_STEPS, batch_size=BATCH_SIZE, learning_rate=LEARNING_RATE,
                                  eval_every=rounds, seed=0, engine=engine)
    return history.info["train_seconds"] / rounds, history.info["train_cpu_seconds"] / rounds


def flower_worker(samples: list[int], rounds: int, threads: int) -> None:
    """Run the workload under Flower's simulation engine and print its per-round time as JSON."""
    import flwr
    from flwr.client import NumPyClient
    from flwr.common import ndarrays_to_parameters
    from flwr.server import ServerConfig
    from flwr.server.strategy import FedAvg

    torch.set_num_threads(threads)
    data, _ = synthetic_devices(samples)
    model = MLP()
    initial = [p.detach().numpy().copy() for p in model.state_dict().values()]
    round_times: list[float] = []

    class Client(NumPyClient):
        def __init__(self, n: int):
            self.x = torch.from_numpy(data[n][0])
            self.y = torch.from_numpy(data[n][1])
            self.rng = np.random.default_rng(n)

        def fit(self, parameters, config):
            torch.set_num_threads(threads)
            local = MLP()
            local.load_state_dict({k: torch.from_numpy(v) for k, v in zip(local.state_dict(), parameters)})
            optimizer = torch.optim.SGD(local.parameters(), lr=LEARNING_RATE)
            for _ in range(LOCAL_STEPS):
                rows = torch.from_numpy(self.rng.integers(0, len(self.y), BATCH_SIZE))
                optimizer.zero_grad()
                torch.nn.functional.cross_entropy(local(self.x[rows]), self.y[rows]).backward()
                optimizer.step()
            return [p.detach().numpy() for p in local.state_dict().values()], len(self.y), {}

    class TimedFedAvg(FedAvg):
        def aggregate_fit(self, server_round, results, failures):
            round_times.append(time.perf_counter())
            return super().aggregate_fit(server_round, results, failures)

    strategy = TimedFedAvg(fraction_fit=1.0, fraction_evaluate=0.0, min_fit_clients=len(samples),
                           min_available_clients=len(samples), initial_parameters=ndarrays_to_parameters(initial))
    def client_fn(context):
        return Client(int(context.node_config["partition-id"])).to_client()

    flwr.simulation.start_simulation(
        client_fn=client_fn, num_clients=len(samples),
        config=ServerConfig(num_rounds=rounds), strategy=strategy,
        client_resources={"num_cpus": 1, "num_gpus": 0.0},
        ray_init_args={"num_cpus": max(threads, 1), "include_dashboard": False},
    )
    per_round = (round_times[-1] - round_times[0]) / (len(round_times) - 1)
    print(json.dumps({"flower_version": flwr.__version__, "round_seconds": per_round}))


def run_flower(python: str, samples: list[int], rounds: int, threads: int) -> tuple[float | None, str]:
    """Run :func:`flower_worker` in ``python``; return its per-round seconds (or None) and a note."""
    command = [python, __file__, "--flower-worker", "--rounds", str(rounds), "--threads", str(threads),
               "--samples", ",".join(map(str, samples))]
    env = dict(os.environ, RAY_DEDUP_LOGS="0", PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=900, env=env)
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, f"Flower run failed to start or timed out: {error}"
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"Flower run failed (exit code {done.returncode}): {tail}"
    result = json.loads(lines[-1])
    return result["round_seconds"], f"flwr {result['flower_version']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="rounds per timed run")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per engine, alternating")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the runner uses 1)")
    parser.add_argument("--flower-python", default=os.environ.get("FLWR_PYTHON"),
                        help="Python interpreter with flwr[simulation], torch and isacfl")
    parser.add_argument("--flower-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--samples", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.flower_worker:
        flower_worker([int(s) for s in args.samples.split(",")], args.rounds, args.threads)
        return

    torch.set_num_threads(args.threads)
    samples = workload_samples()
    data, test = synthetic_devices(samples)
    print(f"workload: {len(samples)} devices, D_n = {samples}, K = {LOCAL_STEPS}, batch {BATCH_SIZE}, "
          f"torch {torch.__version__}, {args.threads} thread(s), {os.cpu_count()} CPUs")

    for engine in ENGINES:
        engine_round_seconds(engine, data, test, 2)  # warm-up of every path
    times: dict[str, list[tuple[float, float]]] = {engine: [] for engine in ENGINES}
    for _ in range(args.repeats):
        for engine in times:
            times[engine].append(engine_round_seconds(engine, data, test, args.rounds))
    wall = {engine: statistics.median(t[0] for t in runs) for engine, runs in times.items()}
    cpu = {engine: statistics.median(t[1] for t in runs) for engine, runs in times.items()}
    matmul_wall, matmul_cpu = matmul_gflops()
    flops = training_flops_per_round(len(samples)) / 1e9

    # Other processes on a shared machine inflate wall-clock times; CPU time of this process is
    # the steadier measure at one thread, so both are printed.
    print("                   wall-clock    CPU time")
    for engine in ENGINES:
        print(f"{engine + ' engine:':19s}{1e3 * wall[engine]:8.1f} ms  {1e3 * cpu[engine]:8.1f} ms per round")
    for slower, faster in (("reference", "vectorised"), ("reference", "fused"), ("vectorised", "fused")):
        print(f"ratio {slower} / {faster}: {wall[slower] / wall[faster]:.2f} wall-clock, "
              f"{cpu[slower] / cpu[faster]:.2f} CPU time")
    print(f"dense matmul rate: {matmul_wall:.1f} GFLOP/s wall-clock, {matmul_cpu:.1f} GFLOP/s CPU time")
    for engine in ENGINES:
        rate_wall, rate_cpu = flops / wall[engine], flops / cpu[engine]
        print(f"{engine} local training: {rate_wall:.1f} GFLOP/s = {100 * rate_wall / matmul_wall:.0f}% "
              f"wall-clock, {rate_cpu:.1f} GFLOP/s = {100 * rate_cpu / matmul_cpu:.0f}% CPU time (goal >= 60%)")

    if not args.flower_python:
        print("Flower: not run, because no interpreter with flwr[simulation] was given "
              "(--flower-python or FLWR_PYTHON)")
        return
    flower, note = run_flower(args.flower_python, samples, args.rounds, args.threads)
    if flower is None:
        print(f"Flower: not measured. {note}")
    else:
        print(f"Flower simulation ({note}): {1e3 * flower:8.1f} ms per round; "
              f"ratio Flower / vectorised: {flower / wall['vectorised']:.2f}, "
              f"Flower / fused: {flower / wall['fused']:.2f}")


if __name__ == "__main__":
    main()
