"""ocf:openstack:glance-api — the Image API (glance-api).

The shared implementation is ocfpy_agents.openstack.api.OpenStackAPI; this file sets
glance's defaults and its authenticated check.
"""

from ocfpy_agents.openstack.api import LONGDESC, OpenStackAPI, service_parameters

__all__ = ["GlanceAPI", "main"]



class GlanceAPI(OpenStackAPI):
    name = "glance-api"
    shortdesc = "OpenStack Image API (glance-api)"
    longdesc = LONGDESC.format(what="Image (glance-api)", check="GET /v2/images?limit=1",
                               keystone_note="")

    binary, config, user, url = service_parameters(
        binary="glance-api", config="/etc/glance/glance-api.conf", user="glance",
        url="http://127.0.0.1:9292/")
    api_check = "/v2/images?limit=1"


main = GlanceAPI.main

if __name__ == "__main__":
    main()
