"""Running LabelDeck on more than one app server: deploy/haproxy.cfg, and the loopback cluster of make scale-demo."""
