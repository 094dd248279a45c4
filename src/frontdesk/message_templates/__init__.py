"""Template messages Frontdesk writes itself (Chatwoot's ``MessageTemplates``): the greeting, the
out-of-office reply and the email collect after an incoming message, the CSAT survey on resolution;
and the working hours they depend on (:mod:`frontdesk.message_templates.hours`)."""
