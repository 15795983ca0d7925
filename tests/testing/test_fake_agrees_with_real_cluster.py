"""The promotable-failover scenario, run on the fake cluster and on a real
three-node Pacemaker: the agent's return codes and the final roles agree."""

from labs.scenarios import FakeBackend, RealBackend, compare, promotable_failover, significant


def test_promotable_failover_gives_the_same_codes_and_roles_on_fake_and_real_cluster(
        tmp_path, real_cluster3_clean):
    fake = promotable_failover(FakeBackend.create(tmp_path / "fake", nodes=3))
    real_backend = RealBackend(real_cluster3_clean)
    real = promotable_failover(real_backend)
    try:
        # the node names differ only if the fixtures do; both use node1..node3
        assert significant(real.operations), "the recorder saw no agent call on the real cluster"
        assert compare(fake, real) == []
    finally:
        real_backend.remove("st")
