"""The emulated service's models: what it holds (:mod:`.state`) and Cloudflare's rules for changing it.

Each operation is a pure function on a :class:`~.state.State` draft: it validates first, mutates last and
refuses with :class:`~..errors.APIError`. :mod:`.certificates` serves mTLS certificates, :mod:`.associations` their
hostname associations, :mod:`.rulesets` zone rulesets, :mod:`.clock` the timestamps they write. One model file
per API resource; :mod:`.zones` holds the zones the emulator knows.
"""
