"""ParameterList/ParameterDict print like torch: one entry inline, several on their own lines."""

import ember
import ember.nn as nn


def test_single_entry_is_inline():
    assert repr(nn.ParameterList([nn.Parameter(ember.ones(2))])) == (
        "ParameterList(  (0): Parameter containing: [ember.float32 of size 2])")
    assert repr(nn.ParameterDict({"a": nn.Parameter(ember.ones(2))})) == (
        "ParameterDict(  (a): Parameter containing: [ember.FloatTensor of size 2])")


def test_several_entries_and_nesting():
    plist = nn.ParameterList([nn.Parameter(ember.ones(2)), nn.Parameter(ember.ones(2, 3).double()), 3])
    assert repr(plist) == (
        "ParameterList(\n"
        "    (0): Parameter containing: [ember.float32 of size 2]\n"
        "    (1): Parameter containing: [ember.float64 of size 2x3]\n"
        "    (2): Object of type: int\n"
        ")")
    assert repr(nn.ParameterList()) == "ParameterList()"
    assert repr(nn.Sequential(nn.ParameterList([nn.Parameter(ember.ones(2))]))) == (
        "Sequential(\n  (0): ParameterList(  (0): Parameter containing: [ember.float32 of size 2])\n)")
