"""The kiosk agent's side of ``/api/v1/kiosk``: plain HTTP with a time limit on every call (the
portal may be on this Pi or another one)."""

import json
import urllib.error
import urllib.request

TIMEOUT_S = 10  # on top of a poll's own wait


class PortalError(RuntimeError):
    """The portal could not be reached or did not accept the call; try again later."""


class TokenRefused(PortalError):
    """The portal does not know this kiosk's device token: retrying will not help."""


class NotKnown(PortalError):
    """The portal does not know the job (say, a database restored from before it)."""


class PortalClient:
    """Calls to the portal at ``base_url`` as the kiosk holding ``token``."""

    def __init__(self, base_url, token):
        self.base_url = base_url.rstrip("/")
        self.token = token

    def poll(self, agent, state, detail, wait):
        """Heartbeat, and the jobs this agent holds (waiting up to ``wait`` s for new ones)."""
        payload = {"agent": agent, "printer": {"state": state, "detail": detail}, "wait": wait}
        reply = self._post("/api/v1/kiosk/poll", payload, wait + TIMEOUT_S)
        jobs = reply.get("jobs") if isinstance(reply, dict) else None
        if not isinstance(jobs, list):
            raise PortalError(f"{self.base_url} answered the poll with something that is not a job list")
        return jobs

    def finish(self, job, outcome, detail=""):
        """Report a job ``printed`` or ``uncertain``."""
        return self._post(f"/api/v1/kiosk/jobs/{job}", {"outcome": outcome, "detail": detail[:200]}, TIMEOUT_S)

    def fetch(self, url):
        """The bytes at ``url`` (on the portal: the village logo)."""
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                return response.read()
        except OSError as exc:  # HTTPError is an OSError too
            raise PortalError(f"cannot fetch {url}: {exc}") from None

    def _post(self, path, payload, timeout):
        request = urllib.request.Request(
            self.base_url + path,
            data=json.dumps(payload).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            if exc.code == 401:
                raise TokenRefused(f"{self.base_url} refused the kiosk token (401): check BALAI_KIOSK_TOKEN") from None
            error = NotKnown if exc.code == 404 else PortalError
            raise error(f"{self.base_url}{path} answered {exc.code}: {reason(exc)}") from None
        except (OSError, ValueError) as exc:  # refused, timed out, reset, not JSON
            raise PortalError(f"cannot reach the portal at {self.base_url}: {exc}") from None


def reason(error):
    """The portal's error message, when it sent one."""
    try:
        return json.load(error).get("message", "")
    except (ValueError, AttributeError, OSError):
        return ""
