"""The current TOTP code of a base32 secret, as an authenticator app would show it: for the demo
manager's sign-in on the local runner without a phone.

    python -m odwolaj_local.totp SECRET
"""
import sys
import time

from odwolaj_local.cognito import STEP, totp_code


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    secret = sys.argv[1]
    print(f"{totp_code(secret)}  (valid for {STEP - int(time.time()) % STEP} more s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
