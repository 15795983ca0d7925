"""The sandbox: real Pacemaker clusters in network namespaces on one machine,
and the demo that runs ocfpy's agents in them (the product's main job).

- ``ocfpy.sandbox.cluster``: the namespace cluster engine (``Cluster``);
- ``ocfpy.sandbox.cli``: ``ocfpy sandbox up|status|exec|power|fence|down``;
- ``ocfpy.sandbox.fence``: ``fence_ocfpy_sandbox``, the clusters' fence agent;
  ``ocfpy.sandbox.power``: its host-side power switch (off/on/reboot a node);
- ``ocfpy.sandbox.demo``: the demo's set-up (databases, services) and checks;
- ``ocfpy.sandbox.mariadb``, ``node_mariadb``, ``openstack``: real MariaDB
  Galera and OpenStack services for the demo (and for ocfpy's own tests).

Example::

    from ocfpy.sandbox.cluster import Cluster
    with Cluster(nodes=3) as c:
        c.run(["crm_mon", "-1"])
"""

__all__ = []
