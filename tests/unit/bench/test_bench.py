"""`ganlab bench`: FLOPs against a hand count, exclusive phase timing, and the command's output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

import ganlab.bench.phases as phases_module
from ganlab.bench.flops import flops_per_gen_step
from ganlab.bench.hardware import cpuinfo_field
from ganlab.bench.phases import PHASES, PhaseClock, shares
from ganlab.cli import cli
from ganlab.data import load_dataset
from ganlab.plugins import load_config
from ganlab.rundir.layout import RunDir
from ganlab.training.loop import Loop
from ganlab.training.phases import phase, recorded
from ganlab.training.state import build_state

B, Z, PIXELS = 16, 8, 64  # batch, latent size, an 8x8 digits image


def one_layer_state(n_critic: int):
    cfg = load_config(
        "gan",
        {
            "data.name": "digits",
            "model.g_hidden": [],
            "model.d_hidden": [],
            "model.z_dim": Z,
            "train.batch_size": B,
            "train.n_critic": n_critic,
        },
    )
    return build_state(cfg, load_dataset(cfg.data), torch.device("cpu"))


@pytest.mark.parametrize("n_critic", [1, 3])
def test_flops_per_generator_step_match_a_hand_count(n_critic: int) -> None:
    # G = one Linear(Z -> 64), D = one Linear(64 -> 1); a (m x k) @ (k x n) product costs 2 m k n FLOPs.
    g_forward, d_forward = 2 * B * Z * PIXELS, 2 * B * PIXELS * 1
    # D step: fakes drawn without grad; D on real and on fake, then each D weight gradient (inputs need none).
    d_update = g_forward + 2 * d_forward + 2 * d_forward
    # G step: G and D forward; D's input gradient (D frozen: no weight gradient); G's weight gradient.
    g_update = g_forward + d_forward + d_forward + g_forward
    flops = flops_per_gen_step(one_layer_state(n_critic))
    assert flops.total == n_critic * d_update + g_update
    assert flops.conv == 0 and flops.critic_updates == n_critic


def test_flops_count_the_penalty_double_backward() -> None:
    state = one_layer_state(1)
    plain = flops_per_gen_step(state).total
    state = one_layer_state(1)
    from ganlab.lipschitz import GradientPenalty

    state.lipschitz = GradientPenalty(10.0)
    # penalty: D forward on the interpolates, its input gradient, then the double backward adds D's weight
    # gradient through that input gradient (one more product of the same size); all counted, none lost.
    assert flops_per_gen_step(state).total > plain + 2 * (2 * B * PIXELS)


def test_phase_clock_times_are_exclusive(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = iter(range(100))
    monkeypatch.setattr(phases_module.time, "perf_counter", lambda: float(next(ticks)))
    clock = PhaseClock(sync=lambda: None)
    with recorded(clock), phase("d_forward_backward"):  # 5 ticks, 2 of them in the nested penalty
        for _ in range(2):
            with phase("penalty"):  # 1 tick
                pass
    assert clock.seconds == {"penalty": 2.0, "d_forward_backward": 3.0}
    with phase("g_step"):  # nobody listens: no tick taken
        pass
    assert next(ticks) == 6


def test_shares_add_up_and_the_rest_is_the_loop() -> None:
    got = shares({"data": 1.0, "g_step": 5.0}, wall_s=8.0, extra={"checkpoint": 2.0})
    assert got["loop"] == pytest.approx(0.2) and got["data"] == pytest.approx(0.1)
    assert sum(got.values()) == pytest.approx(1.0)
    assert set(PHASES) | {"checkpoint"} == set(got)


def test_the_loop_marks_every_phase_of_a_step(tmp_path: Path) -> None:
    cfg = load_config(
        "wgan-gp",
        {"data.name": "digits", "model.g_hidden": [8], "model.d_hidden": [8], "model.z_dim": Z, "train.steps": 4}
        | {"model.generator": "mlp", "model.discriminator": "mlp", "log.every": 2, "log.tensorboard": False}
        | {"log.sample_every": 0, "eval.every": 0, "train.batch_size": B, "train.n_critic": 2},
    )
    run = RunDir(tmp_path / "run")
    run.make()
    clock = PhaseClock(sync=lambda: None)
    loop = Loop(build_state(cfg, load_dataset(cfg.data), torch.device("cpu")), run, progress=False)
    with recorded(clock):
        loop.fit()
    assert set(clock.seconds) == set(PHASES) - {"loop"}
    assert all(seconds > 0 for seconds in clock.seconds.values())


def test_cpuinfo_flags_are_read(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu avx512f avx512_bf16 amx_bf16\n")
    assert cpuinfo_field("model name", info) == "Some CPU"
    assert "avx512_bf16" in (cpuinfo_field("flags", info) or "").split()
    assert cpuinfo_field("flags", tmp_path / "missing") is None


TINY = """\
base: wgan-gp
name: tiny
data: {name: digits}
model: {g_channels: 4, g_max_channels: 8, d_channels: 4, d_max_channels: 8, kernel_size: 4, z_dim: 8}
train: {batch_size: 8, n_critic: 2, threads: 1}
log: {every: 2, tensorboard: false, sample_every: 4, grid_size: 4}
"""
FIELDS = ("config", "batch_size", "resolution", "gen_steps_per_s", "d_imgs_per_s", "flops_per_gen_step")
FIELDS += ("achieved_gflops", "peak_gflops", "share_of_peak", "phases", "loop_overhead_share", "penalty_step_ratio")


@pytest.mark.slow
def test_bench_prints_every_field_and_its_json_parses(tmp_path: Path) -> None:
    config = tmp_path / "tiny.yaml"
    config.write_text(TINY)
    args = ["bench", str(config), "--seconds", "0.3", "--warmup", "0", "--device", "cpu"]
    text = CliRunner().invoke(cli, args)
    assert text.exit_code == 0, text.output
    labels = ("generator steps/s", "D images/s", "FLOPs per G step", "achieved", "measured peaks", "best short blocks")
    for label in (*labels, "phases"):
        assert label in text.output
    assert "penalty step" in text.output and "bf16:" in text.output
    out = CliRunner().invoke(cli, [*args, "--json", "--set", "train.batch_size=4"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    (result,) = report["results"]
    assert set(FIELDS) <= set(result)
    assert result["config"] == "tiny" and result["batch_size"] == 4 and result["resolution"] == 8
    assert result["gen_steps_per_s"] > 0 and result["d_imgs_per_s"] == pytest.approx(
        2 * 2 * 4 * result["gen_steps_per_s"], rel=1e-6
    )
    assert result["share_of_peak"] == pytest.approx(result["achieved_gflops"] / result["peak_gflops"])
    assert sum(result["phases"].values()) == pytest.approx(1.0)
    assert {"data", "d_forward_backward", "penalty", "g_step", "optimizer", "logging", "checkpoint"} <= set(
        result["phases"]
    )
    assert result["peaks"]["conv_gflops"] > 0 and result["peaks"]["matmul_gflops"] > 0
    assert len(result["peaks"]["conv_slice_gflops"]) == 4 and result["peaks"]["best_block"]["conv_gflops"] > 0
    assert isinstance(report["bf16"]["native"], bool)


def test_bench_refuses_an_unknown_config_before_running() -> None:
    out = CliRunner().invoke(cli, ["bench", "no-such-preset", "--seconds", "0.1"])
    assert out.exit_code != 0


def test_peak_meter_rates_are_flops_done_over_seconds_spent(monkeypatch: pytest.MonkeyPatch) -> None:
    from ganlab.bench import hardware

    meter = hardware.PeakMeter(torch.device("cpu"), "fp32", (8, 16, 8))
    # the conv's FLOPs, counted by hand: forward 2 * (64 * 16 * 4 * 4 outputs) * (8 * 4 * 4), backward twice that
    assert meter.flops["conv"] == 3 * 2 * (64 * 16 * 4 * 4) * (8 * 4 * 4)
    assert meter.flops["matmul"] == 2 * hardware.MATMUL_SIDE**3
    ticks = iter(float(t) for t in range(1000))
    monkeypatch.setattr(hardware.time, "perf_counter", lambda: next(ticks))
    took = meter.slice(0.0)  # one call of each kernel: two ticks each (the loop's test, then the elapsed time)
    assert took > 0 and meter.done == {"conv": 1, "matmul": 1} and meter.seconds["conv"] == 2.0
    meter.slice(0.0)
    assert meter.rate("conv") == pytest.approx(meter.flops["conv"] * 2 / 4.0 / 1e9)
    assert len(meter.slice_rates) == 2
    peaks = meter.peaks()
    assert peaks.conv_gflops == meter.rate("conv") and peaks.conv_shape.startswith("8->16 ch, 8x8")


def test_window_hook_times_peak_slices_around_and_inside_the_window_and_not_in_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Steps take 1 s and slices 5 s: a 10 s window holds 10 steps whatever the slices inside it took."""
    from ganlab.bench import runner

    now = [0.0]
    monkeypatch.setattr(runner.time, "perf_counter", lambda: now[0])

    class Meter:
        slices: list[float] = []

        def slice(self, seconds: float) -> float:
            self.slices.append(now[0])
            now[0] += 5.0
            return 5.0

    meter = Meter()
    settings = runner.BenchSettings(seconds=10.0, warmup_s=2.0, warmup_steps=1, peak_slices=4)
    hook = runner.WindowHook(PhaseClock(sync=lambda: None), settings, meter)  # type: ignore[arg-type]
    state = one_layer_state(1)
    hook.on_start(state, None)  # type: ignore[arg-type]
    with pytest.raises(runner.WindowDone):
        for _ in range(100):
            now[0] += 1.0
            state.step += 1
            hook.on_step_end(state, None)  # type: ignore[arg-type]
    assert hook.window_s == pytest.approx(10.0) and hook.steps == 10
    assert len(meter.slices) == 4 and hook.paused_s == pytest.approx(10.0)  # two slices inside
    assert meter.slices[0] == pytest.approx(2.0)  # right after the warm-up, before the window opened
