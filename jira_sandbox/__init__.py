"""jira_sandbox: a Jira Cloud / Data Center simulator over real HTTP on loopback.

from jira_sandbox import Sandbox
sb = Sandbox().start()
site = sb.add_site("acme")
"""

from .server import Sandbox
from .site import Site
from .webhooks import Delivery, hub_signature

__all__ = ["Delivery", "Sandbox", "Site", "hub_signature"]
