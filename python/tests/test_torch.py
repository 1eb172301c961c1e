"""clnn.torch: gradients of the autograd wrappers.

Tolerances (stated in docs/python.md): clnn computes in float32, so
torch.autograd.gradcheck runs in float64 on the host side with central
differences of eps = 1e-3 against the wrapper's float32 gradient, within
atol = 1e-3, rtol = 1e-2 (float32 rounding of a loss near 1 is ~1e-7, over
2·eps ~5e-5; the noise grows with the loss's size, so the cases keep it
near 1, and VICReg, ~60 here, is checked against a reference instead).
Against float64 PyTorch references the values and gradients agree within
rtol = 1e-4, atol = 1e-5 (1e-4 for the contrastive ones)."""
import pytest

from conftest import require

torch = require("torch")
import clnn.torch as ct  # noqa: E402
import torch.nn.functional as F  # noqa: E402

GRADCHECK = dict(eps=1e-3, atol=1e-3, rtol=1e-2)


@pytest.fixture(scope="module", autouse=True)
def context():
    import clnn
    with clnn.Context() as c:
        ct.set_context(c)
        yield c
    ct.set_context(None)


def leaf(*shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float64).requires_grad_()


def labels(n, c, seed=1):
    return torch.randint(0, c, (n,), generator=torch.Generator().manual_seed(seed))


CASES = {
    "focal_loss": lambda z: ct.loss("focal_loss", z, labels(6, 5), gamma=2.0, poly_eps=0.5, reduction="mean"),
    "robust_loss (NCE+RCE)": lambda z: ct.loss("robust_loss", z, labels(6, 5), nce=1.0, rce=1.0,
                                               reduction="sum"),
    "squentropy": lambda z: ct.loss("squentropy", z, labels(6, 5), reduction="mean"),
    "z_loss": lambda z: ct.ZLoss(coef=0.3)(z),
    "confidence_penalty": lambda z: ct.ConfidencePenalty(beta=0.5)(z),
    "js_div_logits": lambda z: ct.loss("js_div_logits", z, leaf(6, 5, seed=20).detach(), reduction="mean"),
    # weights near orthogonal keep the value near 1, where float32 rounding stays inside the tolerance
    "reg_ortho": lambda w: ct.WeightPenalty("reg_ortho", lambda_=0.2)(0.4 * w),
    "reg (elastic net)": lambda w: ct.loss("reg", w, reg={"kind": "elastic_net", "strength": 0.1,
                                                          "strength2": 0.3}),
    "reg_group_lasso": lambda w: ct.loss("reg_group_lasso", w, lambda_=0.4, dim="rows"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck_one_input(name):
    assert torch.autograd.gradcheck(CASES[name], (leaf(6, 5),), **GRADCHECK)


@pytest.mark.parametrize("mode", ["one_way", "symmetric", "nt_xent"])
@pytest.mark.parametrize("tiled", [True, False])
def test_gradcheck_infonce(mode, tiled):
    crit = ct.InfoNCE(mode=mode, tiled=tiled, temperature=0.5)
    assert torch.autograd.gradcheck(crit, (leaf(6, 4, seed=2), leaf(6, 4, seed=3)), **GRADCHECK)


def test_gradcheck_supcon_and_kl():
    y = torch.tensor([0, 1, 0, 2, 1, 0])
    assert torch.autograd.gradcheck(lambda a, b: ct.SupCon(temperature=0.5)(a, b, y),
                                    (leaf(6, 4, seed=4), leaf(6, 4, seed=5)), **GRADCHECK)
    assert torch.autograd.gradcheck(lambda p, q: ct.loss("kl_div_logits", p, q, direction="pq", reduction="mean"),
                                    (leaf(5, 4, seed=6), leaf(5, 4, seed=7)), **GRADCHECK)


Y6 = torch.tensor([0, 1, 2, 1, 0, 2])
# any clnn function with a loss and dX outputs works by name: one of each family
MULTI = {
    "harmonic_loss": (lambda x, w: ct.loss("harmonic_loss", x, w, Y6, exponent=2.0, eps=1e-6, reduction="mean"),
                      lambda: (leaf(6, 4), leaf(3, 4, seed=1))),
    "margin_loss (cosface)": (lambda x, w: ct.loss("margin_loss", x, w, Y6, kind="cosface", scale=4.0,
                                                   reduction="mean"),
                              lambda: (leaf(6, 4), leaf(3, 4, seed=1))),
    "barlow_twins": (lambda a, b: ct.loss("barlow_twins", a, b, lambda_=0.005), lambda: (leaf(6, 4), leaf(6, 4, seed=1))),
    "spherical_z_loss_hidden (dh, dW, db)": (
        lambda h, W, b: ct.loss("spherical_z_loss_hidden", h, W, b, Y6, a=1.0, b=1.0, eps=1e-3, reduction="mean"),
        lambda: (leaf(6, 4), leaf(3, 4, seed=1), leaf(3, seed=2))),
    "ge2e_loss (de, dw, db)": (lambda e, w, b: ct.loss("ge2e_loss", e, w, b, reduction="mean"),
                               lambda: (leaf(3, 2, 4), torch.full((1,), 2.0, dtype=torch.float64).requires_grad_(),
                                        torch.zeros(1, dtype=torch.float64).requires_grad_())),
    "center_loss": (lambda x: ct.loss("center_loss", x, Y6, leaf(3, 4, seed=5).detach(), reduction="mean"),
                    lambda: (leaf(6, 4),)),
    "uniformity_loss": (lambda x: ct.loss("uniformity_loss", x, t=2.0), lambda: (leaf(6, 4),)),
    "asymmetric_loss": (lambda z: ct.loss("asymmetric_loss", z, (leaf(6, 4, seed=3) > 0).double(), gamma_pos=0.0,
                                          gamma_neg=4.0, clip=0.05, reduction="mean"), lambda: (leaf(6, 4),)),
}


@pytest.mark.parametrize("name", sorted(MULTI))
def test_gradcheck_by_name(name):
    fn, inputs = MULTI[name]
    assert torch.autograd.gradcheck(fn, inputs(), **GRADCHECK)


def test_vicreg_matches_a_torch_reference():
    # VICReg's value is ~60 here: central differences of a float32 loss that large are noise at
    # gradcheck's tolerance, so the gradients are checked against float64 PyTorch instead
    z, z2 = leaf(6, 4), leaf(6, 4, seed=1)

    def reference(a, b, lam=25.0, mu=25.0, nu=1.0, gamma=1.0, eps=1e-4):
        n, d = a.shape

        def variance(x):
            return torch.relu(gamma - torch.sqrt(x.var(0) + eps)).mean()

        def covariance(x):
            xc = x - x.mean(0)
            c = xc.T @ xc / (n - 1)
            return ((c - torch.diag(torch.diag(c))) ** 2).sum() / d
        return lam * ((a - b) ** 2).mean() + mu * (variance(a) + variance(b)) + nu * (covariance(a) + covariance(b))

    ours = ct.loss("vicreg_loss", z, z2)
    ref = reference(z, z2)
    assert ours.item() == pytest.approx(ref.item(), rel=1e-5)
    for a, b in zip(torch.autograd.grad(ours, (z, z2)), torch.autograd.grad(ref, (z, z2))):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_gradcheck_catches_a_wrong_gradient():
    # the tolerances are tight enough to fail a gradient off by 5%
    def wrong(z):
        return _Scaled.apply(ct.ZLoss(coef=0.3)(z))
    assert not torch.autograd.gradcheck(wrong, (leaf(6, 5),), raise_exception=False, **GRADCHECK)


class _Scaled(torch.autograd.Function):
    @staticmethod
    def forward(fctx, x):
        return x.clone()

    @staticmethod
    def backward(fctx, g):
        return 1.05 * g


def test_focal_gamma0_is_cross_entropy_of_torch():
    z, y = leaf(8, 6, seed=8), labels(8, 6)
    ours = ct.FocalLoss(gamma=0.0)(z, y)
    (g_ours,) = torch.autograd.grad(ours, z)
    ref = F.cross_entropy(z, y)
    (g_ref,) = torch.autograd.grad(ref, z)
    assert ours.dtype == torch.float64
    assert ours.item() == pytest.approx(ref.item(), rel=1e-4)
    torch.testing.assert_close(g_ours, g_ref, rtol=1e-4, atol=1e-5)


def nt_xent_reference(z1, z2, tau):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = z @ z.T / tau
    n = z1.shape[0]
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim, target)


def test_tiled_nt_xent_matches_a_torch_reference():
    z1, z2 = leaf(16, 8, seed=9), leaf(16, 8, seed=10)
    ours = ct.InfoNCE(mode="nt_xent", temperature=0.2)(z1, z2)
    g_ours = torch.autograd.grad(ours, (z1, z2))
    ref = nt_xent_reference(z1, z2, 0.2)
    g_ref = torch.autograd.grad(ref, (z1, z2))
    assert ours.item() == pytest.approx(ref.item(), rel=1e-4)
    for a, b in zip(g_ours, g_ref):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


def test_z_loss_matches_torch():
    z = leaf(7, 9, seed=11)
    ours = ct.ZLoss(coef=0.01, reduction="sum")(z)
    ref = 0.01 * (torch.logsumexp(z, dim=1) ** 2).sum()
    torch.testing.assert_close(torch.autograd.grad(ours, z)[0], torch.autograd.grad(ref, z)[0], rtol=1e-4, atol=1e-5)


def test_grad_only_where_required_and_scaled_by_upstream():
    z1, z2 = leaf(6, 4, seed=12), leaf(6, 4, seed=13).detach()
    loss = ct.InfoNCE(mode="one_way")(z1, z2)
    (3.0 * loss).backward()
    z1b = z1.detach().clone().requires_grad_()
    ct.InfoNCE(mode="one_way")(z1b, z2).backward()
    torch.testing.assert_close(z1.grad, 3.0 * z1b.grad)
    assert z2.grad is None


def test_reduction_none_is_refused():
    with pytest.raises(ValueError, match="reduction NONE"):
        ct.ZLoss(coef=0.1, reduction="none")(leaf(3, 3))


def test_a_model_trains_with_a_clnn_loss():
    torch.manual_seed(0)
    x, y = torch.randn(64, 10), torch.randint(0, 3, (64,))
    x[torch.arange(64), y] += 3.0  # separable enough to learn
    model = torch.nn.Linear(10, 3)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    crit = ct.FocalLoss(gamma=1.0)
    first = None
    for _ in range(30):
        opt.zero_grad()
        loss = crit(model(x), y)
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert loss.item() < 0.3 * first
    assert (model(x).argmax(1) == y).float().mean().item() > 0.9
