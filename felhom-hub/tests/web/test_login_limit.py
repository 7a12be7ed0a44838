from felhom_hub.web.login_limit import OVERALL, PER_CLIENT, WINDOW, LoginLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_five_failures_lock_out_that_client_for_the_window() -> None:
    clock = Clock()
    limiter = LoginLimiter(clock)
    for _ in range(PER_CLIENT):
        assert limiter.retry_after("1.2.3.4") == 0
        limiter.failed("1.2.3.4")
    assert 0 < limiter.retry_after("1.2.3.4") <= WINDOW + 1
    assert limiter.retry_after("5.6.7.8") == 0
    clock.now += WINDOW
    assert limiter.retry_after("1.2.3.4") == 0


def test_a_success_clears_the_client_failures() -> None:
    limiter = LoginLimiter(Clock())
    for _ in range(PER_CLIENT - 1):
        limiter.failed("a")
    limiter.succeeded("a")
    limiter.failed("a")
    assert limiter.retry_after("a") == 0


def test_failures_spread_over_many_clients_lock_everyone_out() -> None:
    limiter = LoginLimiter(Clock())
    for n in range(OVERALL):
        limiter.failed(f"10.0.0.{n}")
    assert limiter.retry_after("192.0.2.1") > 0
