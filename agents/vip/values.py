"""The VIP agent's parameter values: its own parameter types, and the checks
across parameters that ``validate_config`` runs before any netlink request.

Example::

    Netmask("cidr_netmask").parse("255.255.255.0")          # 24
    config_problem({"ip": "fe80::1", "nic": None, ...})     # "an IPv6 link-local address needs nic"
"""

from ocfpy.parameters import IPAddress, Parameter, String, is_ipv4

__all__ = ["Netmask", "Lifetime", "AddressList", "config_problem", "gateway_problem"]


def _digits(text: str) -> bool:
    """ASCII digits only (str.isdigit also takes other scripts' digits)."""
    return text.isascii() and text.isdigit()


class Netmask(Parameter):
    """A prefix length (0-128) or an IPv4 dotted-quad netmask (255.255.255.0)."""

    ocf_type = "string"

    def parse(self, raw):
        text = raw.strip()
        if _digits(text):
            value = int(text)
            if value > 128:
                raise ValueError("must be a prefix length (at most 32 for IPv4, 128 for IPv6)")
            return value
        parts = text.split(".")
        if len(parts) == 4 and all(_digits(p) and int(p) <= 255 for p in parts):
            bits = "".join(f"{int(p):08b}" for p in parts)
            if "01" not in bits:
                return bits.count("1")
            raise ValueError("is not a contiguous netmask")
        raise ValueError("must be a prefix length like 24 or a netmask like 255.255.255.0")


class Lifetime(Parameter):
    """An address lifetime in seconds, or "forever"."""

    ocf_type = "string"

    def parse(self, raw):
        text = raw.strip().lower()
        if text in ("forever", "infinity"):
            return None
        if text.endswith("sec"):
            text = text[:-3]
        if not _digits(text) or int(text) >= 0xFFFFFFFF:
            raise ValueError('must be a number of seconds or "forever"')
        return int(text)

    def default_text(self):
        return "forever"


class AddressList(String):
    """IPv4/IPv6 addresses separated by spaces or commas; an IPv6 link-local
    address carries its interface, fe80::1%eth0."""

    def parse(self, raw):
        check = IPAddress(self.name)
        return tuple(check.parse(item) for item in raw.replace(",", " ").split())


def _kernel_takes_ipv4(text: str) -> bool:
    """A dotted quad that both the parameter rules and inet_pton accept."""
    from ocfpy_agents.vip.addr import pack_ip

    if not is_ipv4(text):
        return False
    try:
        pack_ip(text)
    except (OSError, ValueError):
        return False
    return True


def config_problem(values, quote=repr):
    """Why the parsed parameter ``values`` (name -> value) can never work, or
    None. Everything a value can be refused for is refused here, before any
    netlink request: the kernel answers a malformed name with an error that
    would otherwise turn a probe or a stop into 1. ``quote`` shows a bad nic
    in the message (the parameter's ``describe_value``)."""
    # addr is imported here, not above: meta-data needs the types only
    from ocfpy_agents.vip.addr import ifname_problem, is_link_local, pack_ip

    ip, nic, netmask = values["ip"], values["nic"], values["cidr_netmask"]
    address, _, scope = ip.partition("%")
    six = ":" in address
    try:
        packed = pack_ip(address)
    except (OSError, ValueError):
        return "parameter ip: must be an IPv4 or IPv6 address"
    bits = 128 if six else 32
    if netmask is not None and netmask > bits:
        return f"parameter cidr_netmask: {netmask} is longer than {bits} bits"
    problem = ifname_problem(nic) if nic else None
    if problem:
        return f"parameter nic: {quote(nic)} {problem}"
    problem = ifname_problem(scope) if scope else None
    if problem:
        return f"parameter ip: the interface after % {problem}"
    if six and is_link_local(packed) and not (nic or scope):
        return "an IPv6 link-local address needs nic"
    broadcast, label = values["broadcast"], values["iflabel"]
    if broadcast not in (None, "", "+", "-") and not _kernel_takes_ipv4(broadcast):
        return "parameter broadcast: must be an IPv4 address, + or -"
    if label and nic and len(f"{nic}:{label}".encode(errors="replace")) > 15:
        return f"label {nic}:{label} is longer than 15 characters"
    namespace = values["network_namespace"]
    if namespace:
        from ocfpy_agents.vip import netns

        if not netns.valid_name(namespace):
            return "parameter network_namespace: must be one name of at most 255 bytes, not a path"
    for gateway in values["gateways"] or ():
        problem = gateway_problem(gateway)
        if problem:
            return problem
    return None


def gateway_problem(gateway: str):
    """Why ``gateway`` cannot be pinged, or None. A gateway is ADDRESS, or
    ADDRESS%IFNAME for an IPv6 link-local one (which is reachable only
    through a named interface).

    >>> gateway_problem("fe80::1")
    'parameter gateways: the link-local gateway fe80::1 needs its interface, e.g. fe80::1%eth0'
    """
    from ocfpy_agents.vip.addr import ifname_problem, is_link_local, pack_ip

    address, percent, scope = gateway.partition("%")
    try:
        link_local = is_link_local(pack_ip(address))
    except (OSError, ValueError):
        return "parameter gateways: must be IPv4 or IPv6 addresses"
    if link_local and not scope:
        return (f"parameter gateways: the link-local gateway {address} needs its interface, "
                f"e.g. {address}%eth0")
    if percent and not link_local:
        return f"parameter gateways: only a link-local gateway takes an interface (%), not {address}"
    problem = ifname_problem(scope) if link_local else None
    if problem:
        return f"parameter gateways: the interface of {address} {problem}"
    return None
