"""The VIP agent family: ``ocf:ocfpy:vip`` (``agent``), its parameter types
and checks (``values``), its own rtnetlink client (``rtnl``), address
queries and changes (``addr``, ``change``), gratuitous ARP / unsolicited
neighbour advertisements (``announce``), gateway health (``health``) and
network namespaces (``netns``). Nothing here imports pyroute2: the agent's
paths stay light."""
