"""Time the allocator: golden section, the certified search and a brute-force grid, side by side.

Run ``python benchmarks/bench_allocation.py`` (add ``--sizes 10 1000`` for a shorter run). For each
number of devices ``N`` (``L_max = 64``, random scenario with the default parameters) it prints the
wall time of each method, building the cell table included. It also prints the ratio of the
certified search's time to golden section's, the device-snapshot cells each method evaluated per
second, and the cells per second of the evaluation kernel alone. All methods run in the same
process, one after the other, so the ratios compare like with like on whatever machine runs it.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from isacfl.allocation import InnerProblem, allocate
from isacfl.scenario import Scenario


def best_time(func, repeats: int) -> tuple[float, object]:
    """Return the shortest wall time of ``repeats`` calls of ``func`` and its last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1_000, 100_000], help="numbers of devices N")
    parser.add_argument("--max-snapshots", type=int, default=64, help="L_max")
    parser.add_argument("--grid-points", type=int, default=256, help="SNR floors of the brute-force grid")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random scenarios")
    args = parser.parse_args()

    header = (f"{'N':>8} {'cells':>10} {'golden s':>10} {'proposed s':>11} {'grid s':>9} {'prop/gold':>9} "
              f"{'golden cells/s':>15} {'proposed cells/s':>17} {'grid cells/s':>13} {'kernel cells/s':>15} "
              f"{'gap golden':>11}")
    print(header)
    for n_devices in args.sizes:
        scenario = Scenario.random(n_devices, seed=args.seed, max_snapshots=args.max_snapshots)
        repeats = 5 if n_devices <= 1_000 else 1
        golden_s, golden = best_time(lambda: allocate(scenario, "golden"), repeats)
        proposed_s, proposed = best_time(lambda: allocate(scenario, "proposed"), repeats)

        def grid_search():
            problem = InnerProblem(scenario)
            lower, upper = problem.search_bounds()
            gammas = np.linspace(lower, upper, args.grid_points)
            return float(np.max(problem.objective(gammas))), problem.cells.size * gammas.size

        grid_s, (grid_best, grid_cells) = best_time(grid_search, 1 if n_devices > 1_000 else repeats)
        cells = scenario.n_devices * scenario.max_snapshots
        # The evaluation kernel alone: every cell at one floor, without building the cell table.
        table = InnerProblem(scenario)
        floor = 0.5 * sum(table.search_bounds())
        kernel_s, _ = best_time(lambda: table.cells.device_log_values([floor]), 3)
        gap = 1 - golden.objective / proposed.objective
        print(f"{n_devices:>8} {cells:>10} {golden_s:>10.4f} {proposed_s:>11.4f} {grid_s:>9.4f} "
              f"{proposed_s / golden_s:>9.2f} {golden.search.ncell / golden_s:>15.3g} "
              f"{proposed.search.ncell / proposed_s:>17.3g} {grid_cells / grid_s:>13.3g} "
              f"{table.cells.size / kernel_s:>15.3g} {gap:>11.2e}")
        assert proposed.objective >= grid_best * (1 - 1e-9), "the certified optimum is below the grid's best"


if __name__ == "__main__":
    main()
