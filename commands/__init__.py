"""The `reconcile` command as users run it, assembled at the top of the layers.

The reconciler's own commands (validate, plan, apply, destroy, adopt, output) come from
`reconciler.cli`; the offline development tools beside the product (`sandbox`, `demo`) are added
here, so the reconciler never imports them.
"""
