"""Collection on a claim (recouvrement): the French routes from reminder to enforceable title."""
