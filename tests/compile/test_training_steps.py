"""A compiled training step gives the eager step's numbers bit for bit on the CPU: losses,
parameters, buffers, gradients, optimizer state and the random stream, over a run."""

from __future__ import annotations

import numpy as np
import pytest
from compile_models import assert_same_state, batches, bn_dropout, cnn, mlp, same_bits, train

import autograd_engine as ag
from autograd_engine import optim

OPTIMIZERS = {
    "sgd": lambda p: optim.SGD(p, lr=0.1),
    "sgd-momentum-nesterov-wd": lambda p: optim.SGD(
        p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3
    ),
    "adam": lambda p: optim.Adam(p, lr=0.01),
    "adamw-amsgrad": lambda p: optim.AdamW(p, lr=0.01, amsgrad=True),
    "rmsprop-centered": lambda p: optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True),
    "adagrad": lambda p: optim.Adagrad(p, lr=0.1),
    "nadam": lambda p: optim.NAdam(p, lr=0.01),
    "adamax": lambda p: optim.Adamax(p, lr=0.01),
}

MODELS = {
    "mlp": (mlp, (8, 20)),
    "cnn": (cnn, (6, 1, 8, 8)),
    "bn-dropout": (bn_dropout, (6, 1, 8, 8)),
}


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_compiled_run_is_bit_identical(model, optimizer):
    make, shape = MODELS[model]
    data = batches(shape, n=7)
    losses_e, model_e, opt_e, _ = train(make, OPTIMIZERS[optimizer], data, compiled=False)
    losses_c, model_c, opt_c, fn = train(make, OPTIMIZERS[optimizer], data, compiled=True)
    assert fn.explain()[0].startswith("replayed"), fn.explain()
    for a, b in zip(losses_e, losses_c):
        assert same_bits(a, b)
    assert_same_state(model_e, model_c)
    sd_e, sd_c = opt_e.state_dict(), opt_c.state_dict()
    assert sd_e["param_groups"] == sd_c["param_groups"]
    for i in sd_e["state"]:
        for k, v in sd_e["state"][i].items():
            w = sd_c["state"][i][k]
            assert same_bits(v, w) if hasattr(v, "shape") else v == w, (i, k)


@pytest.mark.parametrize("optimizer", [o for o in OPTIMIZERS if o not in ("sgd", "adam")])
def test_every_optimizer_replays_bit_identically(optimizer):
    data = batches((8, 20), n=5)
    losses_e, model_e, _, _ = train(mlp, OPTIMIZERS[optimizer], data, compiled=False)
    losses_c, model_c, _, fn = train(mlp, OPTIMIZERS[optimizer], data, compiled=True)
    assert fn.explain()[0].startswith("replayed")
    assert all(same_bits(a, b) for a, b in zip(losses_e, losses_c))
    assert_same_state(model_e, model_c)


def test_random_stream_advances_as_in_eager_mode():
    data = batches((6, 1, 8, 8), n=5)
    train(bn_dropout, OPTIMIZERS["sgd"], data, compiled=False)
    after_eager = ag.rand(4).numpy()
    train(bn_dropout, OPTIMIZERS["sgd"], data, compiled=True)
    after_compiled = ag.rand(4).numpy()
    assert same_bits(after_eager, after_compiled)


def test_optimizer_state_dicts_are_interchangeable_with_eager():
    """Train 3 steps compiled, hand the optimizer state to an eager run for 3 more, and the
    other way round: both match 6 eager steps."""
    data = batches((8, 20), n=6)
    make_opt = OPTIMIZERS["adam"]
    _, model_e, _, _ = train(mlp, make_opt, data, compiled=False)

    _, model_a, opt_a, _ = train(mlp, make_opt, data[:3], compiled=True)
    losses_b, model_b, opt_b, _ = train(mlp, make_opt, [], compiled=False)
    model_b.load_state_dict(model_a.state_dict())
    opt_b.load_state_dict(opt_a.state_dict())
    step_b = _stepper(model_b, opt_b)
    for x, y in data[3:]:
        step_b(x, y)
    assert_same_state(model_e, model_b)

    _, model_c, opt_c, _ = train(mlp, make_opt, data[:3], compiled=False)
    _, model_d, opt_d, _ = train(mlp, make_opt, [], compiled=False)
    model_d.load_state_dict(model_c.state_dict())
    opt_d.load_state_dict(opt_c.state_dict())
    step_d = ag.compile(_stepper(model_d, opt_d))
    for x, y in data[3:]:
        step_d(x, y)
    assert_same_state(model_e, model_d)


def _stepper(model, opt):
    from autograd_engine.nn import functional as F

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def test_learning_rate_is_read_on_every_replay():
    """A scheduler outside the step changes lr every call; the replay reads it."""
    data = batches((8, 20), n=6)
    results = []
    for compiled in (False, True):
        ag.manual_seed(0)
        model = mlp()
        opt = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
        sched = optim.lr_scheduler.StepLR(opt, 1, gamma=0.5)
        step = _stepper(model, opt)
        fn = ag.compile(step) if compiled else step
        for x, y in data:
            fn(x, y)
            sched.step()
        results.append(model)
    assert_same_state(*results)


def test_gradient_accumulation_across_calls():
    """A step without zero_grad accumulates into .grad, as eagerly; zero_grad outside."""
    from autograd_engine.nn import functional as F

    data = batches((8, 20), n=6)
    models = []
    for compiled in (False, True):
        ag.manual_seed(0)
        model = mlp()
        opt = optim.SGD(model.parameters(), lr=0.1)

        def micro(x, y, model=model):
            loss = F.cross_entropy(model(x), y) / 2
            loss.backward()
            return loss

        fn = ag.compile(micro) if compiled else micro
        for i, (x, y) in enumerate(data):
            fn(x, y)
            if i % 2 == 1:
                opt.step()
                opt.zero_grad()
        fn(*data[0])  # leave a gradient to compare
        models.append(model)
    assert_same_state(*models)


def test_parameter_gradients_after_a_replay_match_eager():
    data = batches((8, 20), n=4)
    _, model_e, _, _ = train(mlp, OPTIMIZERS["sgd"], data, compiled=False)
    _, model_c, _, _ = train(mlp, OPTIMIZERS["sgd"], data, compiled=True)
    for p_e, p_c in zip(model_e.parameters(), model_c.parameters()):
        assert p_c.grad is not None and same_bits(p_e.grad.numpy(), p_c.grad.numpy())


def test_returned_tensors_are_not_overwritten_by_later_calls():
    data = batches((8, 20), n=5)
    ag.manual_seed(0)
    model = mlp()
    fn = ag.compile(_stepper(model, OPTIMIZERS["sgd"](model.parameters())))
    outs = [fn(x, y) for x, y in data]
    kept = [o.numpy().copy() for o in outs]
    fn(*data[0])
    assert all(same_bits(o.numpy(), k) for o, k in zip(outs, kept))
    assert len({float(k) for k in kept}) > 1


def test_eval_forward_under_no_grad():
    ag.manual_seed(0)
    model = bn_dropout().eval()
    fn = ag.compile(model.forward)
    xs = [x for x, _ in batches((6, 1, 8, 8), n=4)]
    with ag.no_grad():
        got = [fn(x).numpy() for x in xs]
        want = [model(x).numpy() for x in xs]
    assert all(same_bits(a, b) for a, b in zip(got, want))
    assert fn.explain()[0].startswith("replayed")


def test_structured_outputs_and_constants():
    ag.manual_seed(0)
    model = mlp()
    opt = OPTIMIZERS["sgd"](model.parameters())
    from autograd_engine.nn import functional as F

    @ag.compile
    def step(x, y, scale=2.0):
        opt.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits, y) * scale
        loss.backward()
        opt.step()
        return {"loss": loss, "parts": (logits.detach(), None, "tag")}

    for x, y in batches((8, 20), n=4):
        out = step(x, y)
    assert set(out) == {"loss", "parts"}
    assert out["parts"][1:] == (None, "tag")
    assert out["parts"][0].shape == (8, 5)
    np.testing.assert_allclose(
        out["loss"].numpy(),
        2 * F.cross_entropy(out["parts"][0], y).numpy(),
        rtol=1e-6,
    )


@pytest.fixture(params=[True, False], ids=["rules", "generic"])
def rules(request):
    """Run a test with the CPU replay rules (buffers, in place) and without them."""
    from autograd_engine.compiler import _rules

    before = _rules.enabled
    _rules.enabled = request.param
    yield request.param
    _rules.enabled = before


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_generic_and_rule_replays_agree_with_eager(model, rules):
    make, shape = MODELS[model]
    data = batches(shape, n=5)
    losses_e, model_e, _, _ = train(make, OPTIMIZERS["sgd"], data, compiled=False)
    losses_c, model_c, _, fn = train(make, OPTIMIZERS["sgd"], data, compiled=True)
    assert fn.explain()[0].startswith("replayed")
    assert all(same_bits(a, b) for a, b in zip(losses_e, losses_c))
    assert_same_state(model_e, model_c)


def test_returned_activations_are_not_reused_buffers(rules):
    """Values the step returns keep their own memory, even where a rule would reuse it."""
    from autograd_engine.nn import functional as F

    data = batches((8, 20), n=5)
    outs = {}
    for compiled in (False, True):
        ag.manual_seed(0)
        model = mlp()
        opt = optim.SGD(model.parameters(), lr=0.1)

        def step(x, y, model=model, opt=opt):
            opt.zero_grad()
            hidden = model[1](model[0](x))
            logits = model[2](hidden)
            loss = F.cross_entropy(logits, y)
            loss.backward()
            opt.step()
            return loss, hidden.detach(), logits.detach()

        fn = ag.compile(step) if compiled else step
        outs[compiled] = [fn(x, y) for x, y in data]
    for eager, replayed in zip(outs[False], outs[True]):
        for a, b in zip(eager, replayed):
            assert same_bits(a.numpy(), b.numpy())


def test_ignored_targets_on_some_calls(rules):
    """Targets equal to ignore_index on some calls only: the replay takes the same path as the
    eager node on each call."""
    data = batches((8, 20), n=6)
    for i in (1, 4):
        y = data[i][1].numpy().copy()
        y[:3] = -100
        data[i] = (data[i][0], ag.tensor(y))
    losses_e, model_e, _, _ = train(mlp, OPTIMIZERS["adam"], data, compiled=False)
    losses_c, model_c, _, _ = train(mlp, OPTIMIZERS["adam"], data, compiled=True)
    assert all(same_bits(a, b) for a, b in zip(losses_e, losses_c))
    assert_same_state(model_e, model_c)


def test_out_of_range_target_raises_on_a_replay():
    data = batches((8, 20), n=3)
    ag.manual_seed(0)
    model = mlp()
    fn = ag.compile(_stepper(model, OPTIMIZERS["sgd"](model.parameters())))
    for x, y in data:
        fn(x, y)
    with pytest.raises(IndexError, match="out of bounds"):
        fn(data[0][0], ag.tensor([0, 1, 2, 3, 4, 5, 6, 7]))


@pytest.mark.parametrize("clip", ["norm", "value"])
def test_gradient_clipping_in_the_step_is_replayed(clip):
    from autograd_engine import nn

    F = nn.functional
    data = batches((8, 20), n=5)
    runs = []
    for compiled in (False, True):
        ag.manual_seed(0)
        model = mlp()
        opt = optim.SGD(model.parameters(), lr=0.5)

        def step(x, y, model=model, opt=opt):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            if clip == "norm":
                norm = nn.utils.clip_grad_norm_(model.parameters(), 0.05)
            else:
                nn.utils.clip_grad_value_(model.parameters(), 0.01)
                norm = loss.detach() * 0
            opt.step()
            return loss, norm

        fn = ag.compile(step) if compiled else step
        outs = [fn(x, y) for x, y in data]
        if compiled:
            assert fn.explain()[0].startswith("replayed"), fn.explain()
        runs.append((outs, model))
    for (l1, n1), (l2, n2) in zip(runs[0][0], runs[1][0]):
        assert same_bits(l1.numpy(), l2.numpy()) and same_bits(n1.numpy(), n2.numpy())
    assert_same_state(runs[0][1], runs[1][1])


def test_running_statistics_of_a_model_the_function_does_not_name():
    """The first replay's check restores BatchNorm's running statistics even when the model is
    reached only through a call (not found as an argument, global or closure)."""
    from autograd_engine.nn import functional as F

    data = batches((6, 1, 8, 8), n=5)
    states = []
    for compiled in (False, True):
        ag.manual_seed(0)
        models = {"net": bn_dropout()}
        opt = optim.SGD(models["net"].parameters(), lr=0.1)

        def get(name, models=models):
            return models[name]

        def step(x, y, get=get, opt=opt):
            opt.zero_grad()
            loss = F.cross_entropy(get("net")(x), y)
            loss.backward()
            opt.step()
            return loss

        fn = ag.compile(step) if compiled else step
        for x, y in data:
            fn(x, y)
        states.append(models["net"])
    assert_same_state(*states)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_logits_reshaped_for_the_loss_replay_bit_identically(optimizer):
    """A language model's step: embeddings and a Linear on (B, T, C), the logits reshaped to
    (B * T, V) for the loss. The loss gradient then escapes into a view; the replay used to
    fall back to the loss node's own backward, which read the softmax saved at trace time (the
    GPT job's `--compile` ran eagerly because the first replay's check caught it)."""
    from autograd_engine import nn

    F = nn.functional
    rng = np.random.default_rng(0)
    data = [
        (ag.tensor(rng.integers(0, 11, (2, 8))), ag.tensor(rng.integers(0, 11, (2, 8))))
        for _ in range(6)
    ]

    def run(compiled):
        ag.manual_seed(0)
        emb, head = nn.Embedding(11, 16), nn.Linear(16, 11)
        params = list(emb.parameters()) + list(head.parameters())
        opt = OPTIMIZERS[optimizer](params)

        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(head(emb(x)).reshape(-1, 11), y.reshape(-1))
            loss.backward()
            opt.step()
            return loss

        fn = ag.compile(step) if compiled else step
        losses = [fn(x, y) for x, y in data]
        return losses, params, fn

    losses_e, params_e, _ = run(False)
    losses_c, params_c, fn = run(True)
    assert fn.explain()[0].startswith("replayed"), fn.explain()
    assert all(same_bits(a, b) for a, b in zip(losses_e, losses_c))
    for p, q in zip(params_e, params_c):
        assert same_bits(p, q)
