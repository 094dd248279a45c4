"""The agents' web dashboard: cookie sign-in sessions and the single-page app served at ``/app``.

Sessions:

* ``POST /auth/sign_in`` ``{email, password}`` verifies the argon2 hash, creates a session (a random id,
  of which only an HMAC digest is stored, with an expiry: ``FRONTDESK_SESSION_TTL_HOURS``), deletes the
  session the browser held before (rotation), sets the ``frontdesk_session`` cookie (HttpOnly,
  SameSite=Lax, Secure when the request came over https) and answers ``{"data": <profile>, "csrf_token"}``.
  Chatwoot's ``login/ip`` limit applies: 5 attempts per 5 minutes per client IP, then 429 with Retry-After.
* ``GET /auth/session`` answers the same for the current cookie (the app asks after a reload).
* ``DELETE /auth/sign_out`` ends the session and clears the cookie.
* Every other endpoint accepts the cookie where it accepts an access token. A cookie-authenticated
  request that is not GET/HEAD/OPTIONS must carry ``X-CSRF-Token``: an HMAC of the session id (bound to
  the session, never stored), else 403. Requests with an ``api_access_token`` ignore the cookie and
  need no CSRF token.
"""
