"""Follow-ups: booking events pushed to the apps an account already uses.

An account's admins subscribe an action (a signed webhook, Slack, HubSpot,
Zendesk, Mailchimp or an email to the customer) to lifecycle events. Each
new booking event makes one delivery per matching subscription, in the
event's own transaction; the worker and the periodic sweep send it, and
every try is recorded as an attempt.
"""
