"""The emulated service's models: what it holds (:mod:`.state`) and Cloudflare's rules for changing it.

Each operation is a pure function on a :class:`~.state.State` draft: it validates first, mutates last and
refuses with :class:`~..errors.APIError`. :mod:`.certificates` serves mTLS certificates and hostname
associations, :mod:`.rulesets` zone rulesets, :mod:`.clock` the timestamps both write.
"""
