"""The website widget: the SDK a site embeds, the widget page its iframe loads, and the Widget API.

* ``GET /packs/js/sdk.js`` — the host-page SDK, at the path Chatwoot's embed snippet
  (``web_widget_script``) loads it from; ``/packs/widget/…`` — the widget app's built files
  (``static_files``).
* ``GET /widget?website_token=…[&cw_conversation=…]`` — the iframe's page (``page``): the visitor of a
  valid ``cw_conversation`` widget token, else a new anonymous contact with a new token. Its CSP's
  ``frame-ancestors`` is where the inbox's ``allowed_domains`` is enforced, as in Chatwoot.
* ``/api/v1/widget/*`` — the Widget API (``endpoints``): ``website_token`` names the inbox,
  ``X-Auth-Token`` (the widget token, ``tokens``) the visitor (``auth``).

What Frontdesk does differently from Chatwoot, on purpose:

* a visitor's ``identifier``, ``email`` or ``phone_number`` that belongs to another contact never merges
  the visitor into that contact, unless the identifier is proven by a right ``identifier_hash``
  (Chatwoot merges on any of them, which lets a visitor claim someone else's contact);
* ``POST /conversations/transcript`` answers 402, as Chatwoot for an account without e-mail
  transcripts: Frontdesk sends no e-mail yet;
* ``GET /campaigns`` is always ``[]``: there are no campaigns yet.
"""
