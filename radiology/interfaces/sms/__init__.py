"""The SMS gateway's inbound webhook (issue 21 A): the provider-neutral JSON shape and Twilio's
form shape, each checking its own signature, both through services/inbound_sms.receive_sms."""
