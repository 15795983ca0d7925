"""ocf:ocfpy:vip — a floating IPv4/IPv6 address, IPaddr2-compatible, over rtnetlink.

Reads like its meta-data: parameters and actions first, short actions below;
the parameter types and checks live in ``ocfpy_agents.vip.values``, the
netlink, ARP and ping work in the family's other modules. The hot path
(monitor, probe, meta-data) imports only ocfpy's core plus ``values`` and
``ocfpy_agents.vip.addr`` (one netlink socket, no pyroute2, no ``socket``
module); start and stop add ``ocfpy_agents.vip.change`` and
``ocfpy_agents.vip.announce``.
"""

from ocfpy import codes
from ocfpy.agent import Action, Agent
from ocfpy.parameters import Boolean, Duration, Integer, IPAddress, Select, String
from ocfpy_agents.vip.values import AddressList, Lifetime, Netmask, config_problem

__all__ = ["Vip", "main"]


class Vip(Agent):
    name = "vip"
    provider = "ocfpy"
    shortdesc = "Floating IPv4/IPv6 address (IPaddr2-compatible, no shell)"
    longdesc = """Adds an IPv4 or IPv6 address to an interface and announces it
(gratuitous ARP for IPv4, unsolicited neighbour advertisements for IPv6) so that
neighbours switch to this node at once. Parameter names follow
ocf:heartbeat:IPaddr2. Not supported: cluster-IP load sharing (clusterip_hash,
unique_clone_address, mac) and lvs_support.

Gateway health: with "gateways" set, every recurring monitor pings the
gateways (all must answer) with fall/rise hysteresis and publishes the node
attribute "gateway_attribute" (1 healthy, 0 not). Recommended rule, which moves
the address away from a node that lost its gateways but keeps it where it is
when every node lost them (no round-robin flapping as with neutron's VRRP
health check):
  pcs constraint location VIP rule score=1000 VIP-gw-ok eq 1
with resource-stickiness below that score, and a recurring monitor with
role=Stopped so that the other nodes publish their attribute too, checking a
little more often than the active node so that, when every node loses the
gateways, the others report it first and the address does not follow a node
that only looks healthy for one more round:
  pcs resource op add VIP monitor interval=9s role=Stopped
(next to the active node's monitor interval=10s).
Opt-in: a monitor at OCF_CHECK_LEVEL 10 or more also fails (1) while the check
is down, e.g. pcs resource op add VIP monitor interval=30s OCF_CHECK_LEVEL=10;
that restarts and moves the resource (and, when every node has lost its
gateways, keeps restarting it), so use it only when the address must not stay
on a node without gateways. Each monitor of any depth counts as one check."""

    # -- the address ----------------------------------------------------------------
    ip = IPAddress("ip", required=True, unique_group="address",
                   shortdesc="The IPv4 or IPv6 address",
                   longdesc="The floating address, e.g. 192.0.2.10 or 2001:db8::10. "
                            "An IPv6 link-local address needs nic.")
    nic = String("nic", shortdesc="Interface to add the address to",
                 longdesc="The base interface (at most 15 bytes, no / : or whitespace; "
                          "iflabel sets a label). Default: the interface of the "
                          "longest-prefix, lowest-metric on-link route that contains the "
                          "address (as IPaddr2 finds it).")
    cidr_netmask = Netmask("cidr_netmask", shortdesc="Prefix length or netmask",
                           longdesc="24 or 255.255.255.0. Default: the prefix of the route "
                                    "found for the address (32/128 when nic is given and no "
                                    "route contains the address).")
    broadcast = String("broadcast", shortdesc="IPv4 broadcast address",
                       longdesc="Default (or +): computed from the prefix; - for none.")
    iflabel = String("iflabel", shortdesc="Label suffix (IPv4)",
                     longdesc="The address gets the label NIC:IFLABEL (15 characters at most).")
    preferred_lft = Lifetime("preferred_lft", default=None,
                             shortdesc="IPv6 preferred lifetime",
                             longdesc="Seconds or forever. 0 keeps the address from being "
                                      "chosen as a source address.")
    nodad = Boolean("nodad", default=False, shortdesc="IPv6: skip duplicate address detection")
    noprefixroute = Boolean("noprefixroute", default=False,
                            shortdesc="Do not add a prefix route for the address")
    flush_routes = Boolean("flush_routes", default=False,
                           shortdesc="Flush the route cache on stop")
    network_namespace = String("network_namespace",
                               shortdesc="Existing network namespace to work in",
                               longdesc="Name under /var/run/netns. It must exist: it is never created.")
    check_link_status = Boolean("check_link_status", default=True,
                                shortdesc="Report not running when the link is down")
    # -- announcements ------------------------------------------------------------------
    arp_count = Integer("arp_count", default=5, minimum=1, maximum=100,
                        shortdesc="Gratuitous ARP / NA rounds sent on start",
                        longdesc="1 to 100. Rounds that would come after the start's "
                                 "timeout (less a margin) are not sent, in the background "
                                 "(arp_bg) as in the foreground.")
    arp_interval = Integer("arp_interval", default=200, minimum=10, maximum=10000,
                           shortdesc="Milliseconds between rounds",
                           longdesc="10 to 10000 milliseconds (IPaddr2's unit).")
    arp_count_refresh = Integer("arp_count_refresh", default=0, minimum=0, maximum=20,
                                shortdesc="Gratuitous ARP rounds sent on every monitor (IPv4)",
                                longdesc="0 to 20 (0: none). Refreshes stale ARP caches, e.g. "
                                         "after a split brain; sent by the monitor itself, "
                                         "never after its timeout (less a margin).")
    arp_bg = Boolean("arp_bg", default=True, shortdesc="Send all but the first round in the background")
    arp_mode = Select("arp_mode", options=("request_reply", "request", "reply"),
                      default="request_reply",
                      shortdesc="Which gratuitous ARP packets every round sends",
                      longdesc="request_reply: a request and a reply (what send_arp does); "
                               "request: requests only (arping -U); reply: replies only, for "
                               "switches that ignore gratuitous requests (arping -A).")
    arp_sender = String("arp_sender", deprecated="ARP is sent by the agent itself; see arp_mode",
                        shortdesc="Ignored (IPaddr2 compatibility)")
    send_arp_opts = String("send_arp_opts", deprecated="use arp_mode",
                           shortdesc="IPaddr2 compatibility: -A selects arp_mode=reply")
    run_arping = Boolean("run_arping", default=False,
                         shortdesc="Refuse to start when another host answers for the IPv4 address")
    # -- gateway health -------------------------------------------------------------------
    gateways = AddressList("gateways", shortdesc="Gateways to ping (space separated)",
                           longdesc="IPv4 or IPv6 addresses; an IPv6 link-local gateway "
                                    "needs its interface: fe80::1%eth0.")
    gateway_fall = Integer("gateway_fall", default=2, minimum=1,
                           shortdesc="Failed checks in a row before the gateways count as down")
    gateway_rise = Integer("gateway_rise", default=2, minimum=1,
                           shortdesc="Passed checks in a row before they count as up again")
    gateway_timeout = Duration("gateway_timeout", default=1.0, shortdesc="Wait for echo replies")
    gateway_attribute = String("gateway_attribute",
                               shortdesc="Node attribute with the gateway state (1/0)",
                               longdesc="Default: RESOURCE-gw-ok.")

    actions = (
        Action("start", timeout=20),
        Action("stop", timeout=20),
        # The deeper check (OCF_CHECK_LEVEL=10, gateways) is not advertised: pcs
        # would create it by default, and it restarts the resource on gateway loss.
        Action("monitor", timeout=20, interval=10, depth=0),
    )

    # -- actions ----------------------------------------------------------------------
    def start(self):
        link, prefix = self.target()
        if self.in_place(link, prefix):
            problem = self.link_problem(link.index)
            if problem:
                self.fail(codes.ERR_GENERIC, problem)
            return codes.SUCCESS
        problem = self.link_problem(link.index)
        if problem:
            self.fail(codes.ERR_GENERIC, f"cannot start: {problem}")
        if self.run_arping and not self.is_v6:
            self.refuse_duplicate(link)
        self.add(link, prefix)
        self.log.info("added %s/%d on %s", self.address, prefix, link.name)
        self.announce(link, self.arp_count, background=self.arp_bg)
        if self.gateways:
            self.gateway_check()
        return codes.SUCCESS

    def stop(self):
        from ocfpy_agents.vip import change, rtnl

        self.stop_announcer()
        for a in self.configured():
            change.delete_address(self.nl, a.index, self.address, a.prefixlen)
            self.log.info("removed %s/%d", self.address, a.prefixlen)
        if self.configured():
            self.fail(codes.ERR_GENERIC, f"{self.address} is still configured after removing it")
        if self.flush_routes:
            change.flush_route_cache(rtnl.AF_INET6 if self.is_v6 else rtnl.AF_INET)
        return codes.SUCCESS

    def monitor(self):
        rc = self.address_state()
        if self.gateways and not self.is_probe:
            healthy = self.gateway_check()
            if rc == codes.SUCCESS and not healthy and self.invocation.check_level >= 10:
                self.fail(codes.ERR_GENERIC, f"gateways {' '.join(self.gateways)} unreachable "
                                             f"({self.gateway_fall} checks in a row)")
        if rc == codes.SUCCESS and self.arp_count_refresh and not self.is_probe and not self.is_v6:
            self.announce(self.link_of_address(), self.arp_count_refresh, background=False)
        return rc

    def validate_all(self):
        if self.invocation.check_level >= 10:
            self.target()
        return codes.SUCCESS

    # -- checks -----------------------------------------------------------------------
    def validate_config(self):
        problem = config_problem(self.values, quote=Vip.nic.describe_value)
        if problem:
            self.fail(codes.ERR_CONFIGURED, problem)

    def validate_node(self):
        if self.network_namespace:
            from ocfpy_agents.vip import netns

            try:
                netns.enter(self.network_namespace)
            except FileNotFoundError:
                self.fail(codes.ERR_INSTALLED,
                          f"network namespace {self.network_namespace} does not exist on this node")
        if self.nic_name and self.link is None:
            self.fail(codes.ERR_INSTALLED, f"interface {self.nic_name} does not exist on this node")

    # -- the address and its link -------------------------------------------------------
    @property
    def address(self) -> str:
        return self.ip.partition("%")[0]

    @property
    def is_v6(self) -> bool:
        return ":" in self.address

    @property
    def nic_name(self):
        return self.nic or self.ip.partition("%")[2] or None

    @property
    def nl(self):
        if "_nl" not in self.__dict__:
            from ocfpy_agents.vip.rtnl import Netlink

            self._nl = Netlink()     # created after validate_node entered the namespace
        return self._nl

    @property
    def link(self):
        if "_link" not in self.__dict__:
            from ocfpy_agents.vip.addr import link_by_name

            self._link = link_by_name(self.nl, self.nic_name) if self.nic_name else None
        return self._link

    def state_file(self, kind: str) -> str:
        """Under HA_VARRUN (the framework's state_path); by address when run by hand."""
        if self.invocation.instance:
            return self.state_path(kind)
        return self.state_path(f"{self.address.replace(':', '_')}.{kind}")

    def configured(self) -> list:
        """Our address where it is: on nic, or anywhere when nic is unset."""
        found = self.anywhere()
        if self.nic_name:
            others = [a for a in found if a.index != self.link.index]
            if others:
                self.log.warning("%s is also configured on interface index %s", self.address,
                                 ",".join(str(a.index) for a in others))
            found = [a for a in found if a.index == self.link.index]
        return found

    def anywhere(self) -> list:
        from ocfpy_agents.vip.addr import find_address

        return find_address(self.nl, self.address)

    def link_problem(self, index: int):
        """Why the link cannot carry the address (check_link_status), or None."""
        if not self.check_link_status:
            return None
        from ocfpy_agents.vip.addr import link_by_index

        link = self.link if self.link is not None and self.link.index == index else link_by_index(self.nl, index)
        if link is None or not link.carrier_ok:
            name = link.name if link is not None else f"index {index}"
            state = link.operstate if link is not None and link.admin_up else "down"
            return f"link {name} is {state}"
        return None

    def target(self):
        """(Link, prefixlen) the address belongs on: nic or the discovered route."""
        from ocfpy_agents.vip.addr import discover, link_by_index

        if self.nic_name:
            link, prefix = self.link, self.cidr_netmask
            if prefix is None:
                found = discover(self.nl, self.address)
                prefix = found[1] if found and found[0] == link.index else (128 if self.is_v6 else 32)
            return link, prefix
        found = discover(self.nl, self.address)
        if found is None:
            self.fail(codes.ERR_INSTALLED, f"no interface has a route to {self.address}; set nic")
        link = link_by_index(self.nl, found[0])
        return link, self.cidr_netmask if self.cidr_netmask is not None else found[1]

    def address_state(self) -> int:
        """0 served, 7 absent or link down, 1 half-configured (exit reason set)."""
        found = self.configured()
        if not found:
            return codes.NOT_RUNNING
        a = found[0]
        if a.dadfailed:
            self.fail(codes.ERR_GENERIC, f"{self.address} failed duplicate address detection")
        if self.cidr_netmask is not None and a.prefixlen != self.cidr_netmask:
            self.fail(codes.ERR_GENERIC, f"half-configured: {self.address}/{a.prefixlen} "
                                         f"instead of /{self.cidr_netmask}")
        problem = self.link_problem(a.index)
        if problem:
            self.set_exit_reason(problem)
            return codes.NOT_RUNNING
        self._found = a
        return codes.SUCCESS

    def link_of_address(self):
        from ocfpy_agents.vip.addr import link_by_index

        return self.link if self.link is not None else link_by_index(self.nl, self._found.index)

    # -- pieces of start ----------------------------------------------------------------
    def in_place(self, link, prefix: int) -> bool:
        """True when the address is already on ``link`` with ``prefix`` (a
        repeated start); a half-configured copy is removed."""
        from ocfpy_agents.vip import change

        for a in self.configured():
            if a.prefixlen == prefix and a.index == link.index and not a.dadfailed:
                return True
            self.log.warning("replacing %s/%d (half-configured)", self.address, a.prefixlen)
            change.delete_address(self.nl, a.index, self.address, a.prefixlen)
        return False

    def refuse_duplicate(self, link):
        """run_arping: fail when another host answers ARP for the address."""
        from ocfpy_agents.vip import announce

        if not announce.announces(link):
            return
        owner = announce.find_duplicate(link.name, link.mac, self.address,
                                        interval=min(1.0, max(0.05, self.arp_interval / 1000.0)),
                                        deadline=self.deadline.fraction(0.5))
        if owner:
            self.fail(codes.ERR_GENERIC, f"{self.address} is already in use on {link.name} by {owner}")

    def add(self, link, prefix: int):
        """Add the address on ``link`` (after IPv6 DAD, when it runs); fail unless it is then there."""
        from ocfpy_agents.vip import change, rtnl

        flags = rtnl.IFA_F_NOPREFIXROUTE if self.noprefixroute else 0
        if self.is_v6 and self.nodad:
            flags |= rtnl.IFA_F_NODAD
        label = f"{link.name}:{self.iflabel}" if self.iflabel and not self.is_v6 else None
        if label and len(label) > 15:
            self.fail(codes.ERR_CONFIGURED, f"label {label} is longer than 15 characters")
        try:
            change.add_address(self.nl, link.index, self.address, prefix, broadcast=self.brd(prefix),
                               label=label, flags=flags,
                               preferred_lft=self.preferred_lft if self.is_v6 else None)
        except rtnl.NetlinkError as exc:
            self.fail(codes.ERR_GENERIC, f"adding {self.address}/{prefix} on {link.name}: {exc.strerror}")
        if self.is_v6 and not self.nodad:
            self.wait_dad(link, prefix)
        if not any(a.index == link.index for a in self.configured() or self.anywhere()):
            self.fail(codes.ERR_GENERIC, f"{self.address} vanished right after it was added")

    def brd(self, prefix: int):
        if self.is_v6 or self.broadcast == "-":
            return None
        if self.broadcast and self.broadcast != "+":
            return self.broadcast
        from ocfpy_agents.vip.change import broadcast_for

        return broadcast_for(self.address, prefix)

    def wait_dad(self, link, prefix):
        from ocfpy_agents.vip import change

        outcome = change.wait_dad(self.nl, link.index, self.address, self.deadline)
        if outcome == "ok":
            return
        change.delete_address(self.nl, link.index, self.address, prefix)
        what = {"dadfailed": "another node already uses it (duplicate address detection failed)",
                "gone": "it was removed while duplicate address detection ran",
                "timeout": "duplicate address detection did not finish in time"}[outcome]
        self.fail(codes.ERR_GENERIC, f"{self.address} on {link.name}: {what}; address removed")

    # -- announcements and gateway health ----------------------------------------------------
    def announce(self, link, rounds: int, background: bool):
        """Gratuitous ARP / unsolicited NA: the first round now, the rest
        arp_interval apart (never closer than announce.MIN_INTERVAL), in a
        detached child when ``background``. Neither loop sends after this
        action's deadline: the foreground one returns before it, the
        background child ends there."""
        from ocfpy_agents.vip import announce

        if rounds <= 0 or not announce.announces(link):
            return
        interval = max(announce.MIN_INTERVAL, self.arp_interval / 1000.0)
        if rounds > 1 and (rounds - 1) * interval > self.deadline.remaining():
            self.log.warning("%d announcement rounds %g ms apart do not fit in the %s timeout: "
                             "the last ones are dropped", rounds, interval * 1000, self.action)
        announce.send_rounds(announce.sender_for(link, self.address, self.arp_mode_in_use),
                             rounds, interval, self.deadline,
                             detach=self.start_announcer if background else None)

    @property
    def arp_mode_in_use(self) -> str:
        """arp_mode; unset, IPaddr2's send_arp_opts=-A selects "reply"."""
        if self.invocation.params.get("arp_mode") is None and "-A" in (self.send_arp_opts or "").split():
            return "reply"
        return self.arp_mode

    def start_announcer(self, func):
        """Run ``func`` in a detached child that stop can end (a late
        announcement would pull the address back); one announcer at a time."""
        from ocfpy.process import start_detached

        self.stop_announcer()
        start_detached(self.state_file("announce"), func)

    def stop_announcer(self):
        from ocfpy.process import stop_detached

        stop_detached(self.state_file("announce"))

    def gateway_check(self) -> bool:
        """One ping round, the fall/rise state updated, the attribute published
        when it changed. True while the gateways count as up."""
        from ocfpy_agents.vip import health

        state = health.Hysteresis(self.state_file("gw"), self.gateway_fall, self.gateway_rise)
        up = health.check(state, self.gateways,
                          timeout=min(self.gateway_timeout, self.deadline.remaining() / 2), log=self.log)
        value = "1" if up else "0"
        if value != state.published:
            name = self.gateway_attribute or f"{self.invocation.instance or 'vip'}-gw-ok"
            if self.set_node_attribute(name, value):
                state.published = value
                self.log.info("gateway state %s: %s=%s", state.state, name, value)
        state.save()
        return up


main = Vip.main

if __name__ == "__main__":
    main()
