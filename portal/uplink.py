"""Does the internet work? One small request, the way phones ask it themselves.

The worker fetches BALAI_UPLINK_CHECK (by default the address Android phones probe) and calls the
uplink *up* only for a 2xx answer. A redirect counts as down: it usually means the village's own
provider wants a sign-in, and then the phones cannot get through either.
"""

import urllib.error
import urllib.request

TIMEOUT_S = 5


class NoRedirects(urllib.request.HTTPRedirectHandler):
    """Report a redirect as it is instead of following it."""

    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirects)


def check(url, timeout=TIMEOUT_S):
    """``(True, "")`` when ``url`` answers 2xx, else ``(False, why)`` in a few plain words."""
    if not url:
        return False, "no check configured (BALAI_UPLINK_CHECK)"
    try:
        with OPENER.open(urllib.request.Request(url, headers={"User-Agent": "Balai"}), timeout=timeout) as response:
            response.read(1024)
            return 200 <= response.status < 300, f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        exc.close()
        return False, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, str(reason)[:200]
