"""The config schema: frozen, typed dataclasses, one per section, every field documented.

`docs/config.md` is generated from this file by `scripts/gen_config_docs.py`; a test fails when it is stale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


def opt(default: Any, help: str, **extra: Any) -> Any:
    """A dataclass field with a default and a one-line meaning (shown in docs/config.md).

    `added=True` marks a key added after runs with checkpoints existed: at its default it is left out of a
    checkpoint's config digest (`ganlab.training.snapshot.training_identity`), so those runs still resume."""
    if isinstance(default, (list, dict)):
        factory: Any = lambda d=default: type(d)(d)  # noqa: E731 - a fresh copy per instance
        return field(default_factory=factory, metadata={"help": help, **extra})
    return field(default=default, metadata={"help": help, **extra})


def positive(x: float) -> bool:
    return x > 0


def non_negative(x: float) -> bool:
    return x >= 0


def unit_interval(x: float) -> bool:
    return 0 <= x <= 1


SEED_LIMIT = 2**63  # torch.manual_seed takes a 64-bit integer; seeds are kept below the signed limit


def seed_range(x: float) -> bool:
    return 0 <= x < SEED_LIMIT


@dataclass(frozen=True)
class DataConfig:
    name: str = opt("fashion-mnist", "dataset name (`ganlab data list`)", registry="datasets")
    root: str | None = opt(None, "directory holding the dataset files; else $GANLAB_DATA, system paths, download")
    subset: int | None = opt(None, "use only the first N training images (null = all)", check=positive)
    resolution: int | None = opt(
        None, "side in pixels the images are resized to once at load (null = native)", check=positive
    )
    channels: int | None = opt(
        None, "1 or 3: convert images to this many channels at load (null = native)", choices=(1, 3)
    )
    download: bool = opt(True, "allow a torchvision download when no local copy is found and a network exists")
    points: int = opt(100_000, "2-D toy sets: number of points drawn once at load", check=positive)
    noise: float | None = opt(
        None, "2-D toy sets: std of the Gaussian noise (null = the set's default)", check=non_negative
    )


@dataclass(frozen=True)
class ModelConfig:
    generator: str = opt("dcgan", "generator architecture", registry="generators")
    discriminator: str = opt("dcgan", "discriminator (critic) architecture", registry="discriminators")
    z_dim: int = opt(100, "latent dimension; z ~ N(0, I)", check=positive)
    kernel_size: int = opt(4, "DCGAN convolution kernel size (seed 001 §3.2 compares 3, 4, 5)", choices=(3, 4, 5))
    g_channels: int = opt(
        64, "DCGAN G: channels of the last feature map; doubled per halving of resolution", check=positive
    )
    g_max_channels: int = opt(1024, "DCGAN G: cap on channels of any feature map", check=positive)
    g_norm: Literal["batch", "none"] = opt(
        "batch", "DCGAN G: normalisation after each hidden layer (seed 000 §4.2 with/without BN)"
    )
    g_head: Literal["conv", "upsample"] = opt(
        "conv",
        "DCGAN G output: extra stride-1 conv (seed 001 §3.1.7, 004 §4.1) or the last upsampling layer (seed 000 §4.2)",
    )
    g_head_kernel: int | None = opt(
        None, "DCGAN G: kernel of the stride-1 output conv (null = kernel_size; seed 004 uses 3)", check=positive
    )
    d_channels: int = opt(64, "DCGAN D: channels of the first convolution; doubled per halving", check=positive)
    d_max_channels: int = opt(1024, "DCGAN D: cap on channels of any feature map", check=positive)
    d_norm: Literal["batch", "layer", "none"] = opt(
        "batch", "DCGAN D: normalisation after each strided conv (spectral: lipschitz.name=sn)"
    )
    d_activation: Literal["leaky_relu", "relu"] = opt(
        "leaky_relu",
        "DCGAN D: activation of each hidden layer, LeakyReLU 0.2 (seed 001 §3.1.5) or ReLU (seed 004 §4.1)",
        added=True,
    )
    d_head: Literal["conv", "dense"] = opt(
        "conv", "DCGAN D output: one conv over the last map, or dense layers (seed 001 §3.3)"
    )
    d_dense: int = opt(
        256, "DCGAN D with d_head=dense: units of the dense layer(s) (seed 001 §3.3: 256)", check=positive
    )
    g_hidden: list[int] = opt([512, 512, 1024, 2048], "MLP G hidden widths (seed 000 §4.2)")
    d_hidden: list[int] = opt([4096, 2048, 1024, 512], "MLP D hidden widths (seed 000 §4.2)")
    conditional: bool = opt(False, "condition G and D on the class label")
    d_condition: Literal["dense", "channels", "projection"] = opt(
        "dense",
        "how D sees the label: concat to a dense layer (seed 001 §3.3), one-hot image channels at the input (seed 001 §5.5), or a projection head",
    )


@dataclass(frozen=True)
class LossConfig:
    name: str = opt("non-saturating", "adversarial loss on logits", registry="losses")


@dataclass(frozen=True)
class LipschitzConfig:
    name: str = opt(
        "none",
        "Lipschitz control of D: none, clip (weights to [-c, c]), gp (gradient penalty), sn (spectral norm)",
        registry="lipschitz",
    )
    clip: float = opt(0.01, "weight clipping bound c (only with name=clip; seed 003 Alg. 1)", check=positive)
    gp_weight: float = opt(
        10.0, "gradient penalty weight lambda (only with name=gp; seed 003 WGAN-GP)", check=non_negative
    )


@dataclass(frozen=True)
class OptimizerConfig:
    name: Literal["adam", "rmsprop"] = opt("adam", "optimizer")
    lr: float = opt(2e-4, "learning rate", check=positive)
    beta1: float = opt(0.5, "Adam beta1", check=unit_interval)
    beta2: float = opt(0.999, "Adam beta2", check=unit_interval)
    alpha: float = opt(0.99, "RMSprop smoothing constant", check=unit_interval)
    eps: float = opt(1e-8, "numerical epsilon of the optimizer", check=positive)


@dataclass(frozen=True)
class OptimConfig:
    g: OptimizerConfig = field(default_factory=OptimizerConfig, metadata={"help": "generator optimizer"})
    d: OptimizerConfig = field(default_factory=OptimizerConfig, metadata={"help": "discriminator optimizer"})


@dataclass(frozen=True)
class TrainConfig:
    steps: int = opt(2000, "generator updates", check=positive)
    batch_size: int = opt(64, "images per batch for D and G", check=positive)
    seed: int = opt(0, "seed of every random stream (init, data order, noise)", check=seed_range)
    n_critic: int = opt(1, "D updates per G update", check=positive)
    critic_boost: int = opt(
        0, "D updates per G update during boosted steps (0 = off; seed 001 §5.3.1 uses 100)", check=non_negative
    )
    critic_boost_first: int = opt(100, "the first N generator steps are boosted (seed 001 §5.3.1)", check=non_negative)
    critic_boost_every: int = opt(500, "every N-th generator step is boosted (seed 001 §5.3.1)", check=positive)
    precision: Literal["fp32", "bf16", "fp16"] = opt("fp32", "autocast precision of model maths")
    compile: bool = opt(
        False,
        "torch.compile G and D (a gradient-penalty critic stays eager: compiled graphs cannot be differentiated "
        "twice); checkpoints keep the uncompiled weights",
    )
    channels_last: bool = opt(True, "channels_last memory layout for convolutional models")
    fused_norm: bool = opt(
        True,
        "CPU, fp32, channels_last: batch norm and its ReLU/LeakyReLU in one C kernel pass each way (built on first "
        "use with the system's C compiler; torch's kernels where there is none); false = torch's kernels",
    )
    gemm_conv: bool = opt(
        True,
        "CPU: convolutions on small maps or to/from images of few channels as im2col + matrix products (faster "
        "than oneDNN there, same maths; accel/conv.py); false = torch's kernels",
        added=True,
    )
    threads: int | None = opt(None, "torch intra-op threads (null = torch's default)", check=positive)
    adaptive_threads: bool = opt(
        True,
        "CPU: follow the load, running one thread per core that other processes leave free, between 1 and "
        "train.threads or one per core (Linux); on a busy machine the thread count, hence the last bits of the "
        "results, then depends on the load: false keeps the count fixed",
        added=True,
    )
    checkpoint_every: int = opt(500, "generator steps between checkpoints", check=positive)
    keep_checkpoints: int = opt(2, "how many of the latest checkpoints to keep", check=positive)
    on_divergence: Literal["stop", "rollback"] = opt(
        "stop", "on a non-finite loss: stop (exit 3) or roll back to the last checkpoint with halved learning rates"
    )
    max_rollbacks: int = opt(3, "most rollbacks before stopping", check=non_negative)


@dataclass(frozen=True)
class EvalConfig:
    every: int = opt(0, "generator steps between periodic evaluations (0 = off)", check=non_negative)
    metrics: list[str] = opt(
        ["fd_domain", "class_coverage"],
        "metrics computed periodically and by default in `ganlab evaluate`",
        registry="metrics",
    )
    samples: int = opt(2000, "generated samples per periodic evaluation", check=positive)
    best_metric: str | None = opt(None, "metric choosing the best checkpoint (null = the first metric)")


@dataclass(frozen=True)
class LogConfig:
    every: int = opt(50, "generator steps between metrics.jsonl rows", check=positive)
    sample_every: int = opt(
        500, "generator steps between fixed-noise sample grids (0 = only at the end)", check=non_negative
    )
    grid_size: int = opt(64, "samples in each fixed-noise grid", check=positive)
    tensorboard: bool = opt(True, "write TensorBoard events")
    hist_every: int = opt(0, "generator steps between weight histograms in TensorBoard (0 = off)", check=non_negative)
    diagnostics: bool = opt(
        True,
        "training-health scalars in metrics.jsonl and warnings in summary.json (seed 001 §2.6.1; docs in ganlab.diagnostics)",
    )
    warn_window: int = opt(
        8, "logged rows a warning rule looks back over: a trend must hold this long to be reported", check=positive
    )


@dataclass(frozen=True)
class TricksConfig:
    label_smoothing: float | None = opt(
        None, "one-sided label smoothing: real target alpha, e.g. 0.9 (seed 001 §4.1)", check=unit_interval
    )
    fake_label: float | None = opt(
        None, "two-sided smoothing: fake target beta, e.g. 0.1 (seed 001 §4.1)", check=unit_interval
    )
    noisy_labels: float | None = opt(
        None, "share of D's real/fake targets flipped, e.g. 0.05 (seed 001 §4.5)", check=unit_interval
    )
    instance_noise: float | None = opt(
        None, "initial std of Gaussian noise added to D's inputs, annealed to 0 (Sønderby et al. 2016)", check=positive
    )
    instance_noise_steps: int | None = opt(
        None, "generator steps over which instance noise anneals linearly to 0 (null = train.steps)", check=positive
    )
    replay: float | None = opt(
        None,
        "experience replay: share of D's fake batch drawn from a buffer of past samples, e.g. 0.5 (seed 001 §4.2)",
        check=unit_interval,
    )
    replay_size: int = opt(1000, "experience replay: images the buffer holds, the oldest dropped first", check=positive)
    replay_store: int = opt(
        1,
        "experience replay: fresh images stored per D step (seed 001 §4.2: one picked at random per batch)",
        check=positive,
    )
    replay_list: int | None = opt(
        None,
        "experience replay as seed 001 §4.2 writes it: one fake image of each D batch joins a list, and when the list "
        "holds this many (the seed's exp_replay) D takes an extra step on them alone as fakes, then the list empties",
        check=positive,
        added=True,
    )
    minibatch_discrimination: bool = opt(
        False, "a minibatch discrimination layer in D's head, after its features (seed 001 §4.3; Salimans et al. 2016)"
    )
    mbd_kernels: int = opt(
        128, "minibatch discrimination: B, features added per sample (seed 001 §4.3)", check=positive
    )
    mbd_kernel_dim: int = opt(5, "minibatch discrimination: C, rows of each kernel (seed 001 §4.3)", check=positive)
    mbd_dense_after: bool = opt(
        True,
        "minibatch discrimination: a model.d_dense-unit layer after it; the one before is model.d_head=dense (seed 001 §4.3: both is best)",
    )
    virtual_batch_norm: bool = opt(
        False, "virtual batch norm in G: statistics mixed with a fixed reference batch, 1/(batch+1) (seed 001 §4.4)"
    )
    vbn_reference_size: int = opt(
        64, "virtual batch norm: size of the fixed reference batch of noise vectors (seed 001 §4.4)", check=positive
    )
    vbn_statistics: Literal["sample", "batch", "reference"] = opt(
        "sample",
        "virtual batch norm: a sample mixed 1/(R+1) with the reference batch (Salimans et al.'s code), the whole "
        "current batch mixed so (seed 001 §4.4's formula read literally), or the reference alone (reference batch norm)",
        added=True,
    )
    feature_matching: bool = opt(
        False,
        "G matches the mean of D.features on real and fake batches instead of the adversarial loss (Salimans et al. 2016 §3.1)",
    )
    unrolled: int | None = opt(
        None,
        "unrolled D: G's update answers D after k look-ahead steps, e.g. 5; D itself is unchanged (Metz et al. 2017)",
        check=positive,
    )
    unrolled_second_order: bool = opt(
        True,
        "unrolled D: back-propagate through the look-ahead steps (Metz et al. 2017 §2.2); false = first order, cheaper",
    )
    ema: float | None = opt(
        None, "decay of the generator weight average used for samples and evaluation, e.g. 0.999", check=unit_interval
    )


@dataclass(frozen=True)
class Config:
    name: str = opt("custom", "run label (the preset's name)")
    description: str = opt("", "one line on what this configuration is")
    source: str = opt("", "the seed document section the hyperparameters follow")
    data: DataConfig = field(default_factory=DataConfig, metadata={"help": "dataset"})
    model: ModelConfig = field(default_factory=ModelConfig, metadata={"help": "architectures"})
    loss: LossConfig = field(default_factory=LossConfig, metadata={"help": "adversarial loss"})
    lipschitz: LipschitzConfig = field(default_factory=LipschitzConfig, metadata={"help": "Lipschitz control of D"})
    optim: OptimConfig = field(default_factory=OptimConfig, metadata={"help": "optimizers"})
    train: TrainConfig = field(default_factory=TrainConfig, metadata={"help": "training loop"})
    eval: EvalConfig = field(default_factory=EvalConfig, metadata={"help": "evaluation"})
    log: LogConfig = field(default_factory=LogConfig, metadata={"help": "logging"})
    tricks: TricksConfig = field(
        default_factory=TricksConfig, metadata={"help": "training tricks (all off by default)"}
    )
