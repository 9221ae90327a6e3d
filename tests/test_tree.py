"""The generic decision-tree evaluator: a tree worked by hand, checks, vectorisation, drawings."""

from __future__ import annotations

import numpy as np
import pytest

from model.tree import REST, Chance, Decision, Terminal, TreeError, evaluate, mermaid, mermaid_markdown


def screening_tree():
    def outcome(p_detect):
        return Chance("disease", [
            ("sick", "prevalence", Chance("found", [
                ("yes", p_detect, Terminal("treated", cost=500, dalys=0.2)),
                ("no", REST, Terminal("missed", cost=0, dalys=1.0))])),
            ("well", REST, Terminal("healthy", cost=0, dalys=0.0))])

    return Decision("screen?", [
        ("no screening", outcome(0.0)),
        ("screening", Chance("test", [("tested", 1.0, outcome("sensitivity"))], cost="test_cost")),
    ])


PARAMS = {"prevalence": 0.1, "sensitivity": 0.9, "test_cost": 20.0}


def test_screening_tree_by_hand():
    r = evaluate(screening_tree(), PARAMS)
    # screening: 20 + 0.1 * 0.9 * 500 = 65; DALYs 0.1 * (0.9 * 0.2 + 0.1 * 1.0) = 0.028
    assert r.table.loc["screening", "cost"] == pytest.approx(65.0)
    assert r.table.loc["screening", "dalys"] == pytest.approx(0.028)
    assert r.table.loc["no screening", "cost"] == pytest.approx(0.0)
    assert r.table.loc["no screening", "dalys"] == pytest.approx(0.1)
    paths = r.pathways().set_index("path")
    assert paths.loc["screening > tested > sick > yes", "probability"] == pytest.approx(0.09)
    assert paths.loc["screening > tested > sick > yes", "cost"] == pytest.approx(520.0)


def test_path_probabilities_sum_to_one_per_sample_and_strategy():
    rng = np.random.default_rng(0)
    params = {"prevalence": rng.uniform(0, 1, 1000), "sensitivity": rng.uniform(0, 1, 1000),
              "test_cost": rng.gamma(2, 10, 1000)}
    r = evaluate(screening_tree(), params)
    strat = r.paths["strategy"].to_numpy()
    for s in r.strategies:
        total = sum(np.broadcast_to(r.probability[i], (1000,)) for i in np.flatnonzero(strat == s))
        np.testing.assert_allclose(total, 1.0, atol=1e-12)


def test_vectorised_equals_one_sample_at_a_time():
    rng = np.random.default_rng(1)
    params = {"prevalence": rng.uniform(0, 1, 50), "sensitivity": rng.uniform(0, 1, 50),
              "test_cost": rng.gamma(2, 10, 50)}
    r = evaluate(screening_tree(), params)
    for i in range(50):
        one = evaluate(screening_tree(), {k: v[i] for k, v in params.items()})
        np.testing.assert_allclose(r.expected("cost")[i], one.expected("cost"))
        np.testing.assert_allclose(r.expected("dalys")[i], one.expected("dalys"))


def test_callable_values():
    tree = Decision("d", [("a", Chance("c", [("x", lambda m: m["p"] / 2, Terminal("t", v=lambda m: m["p"])),
                                             ("y", REST, Terminal("u", v=0))]))])
    r = evaluate(tree, {"p": np.array([0.2, 0.8])})
    np.testing.assert_allclose(r.expected("v")[:, 0], [0.1 * 0.2, 0.4 * 0.8])


def test_probabilities_outside_range_name_the_node_and_sample():
    pattern = r"strategy 'screening', node 'found': probability of branch 'yes' is 1\.5.*first bad sample: 2"
    with pytest.raises(TreeError, match=pattern):
        evaluate(screening_tree(), {**PARAMS, "sensitivity": np.array([0.5, 0.9, 1.5])})


def test_probabilities_not_summing_to_one_name_the_node():
    tree = Decision("d", [("a", Chance("coin", [("h", 0.5, Terminal("h")), ("t", 0.4, Terminal("t"))]))])
    with pytest.raises(TreeError, match="node 'coin': branch probabilities sum to 0.9"):
        evaluate(tree, {})


def test_unknown_parameter_name_is_a_clear_error():
    with pytest.raises(TreeError, match="no parameter named 'prevalence'"):
        evaluate(screening_tree(), {"sensitivity": 0.9, "test_cost": 1})
    pattern = (r"strategy 'screening', node 'found', branch 'yes': no parameter named 'sensitivity'; "
               r"known: 'prevalence', 'sensitivty', 'test_cost' \(did you mean 'sensitivty'\?\)")
    with pytest.raises(TreeError, match=pattern):
        evaluate(screening_tree(), {"prevalence": 0.1, "sensitivty": 0.9, "test_cost": 1})


def test_a_function_value_looking_up_a_missing_parameter_names_the_node():
    # was a bare KeyError: 'q' from inside the lambda, with no node and no list of parameters
    tree = Decision("d", [("a", Chance("c", [("x", lambda m: m["q"], Terminal("t")), ("y", REST, Terminal("u"))]))])
    pattern = r"strategy 'a', node 'c', branch 'x': no parameter named 'q'; known: 'p'"
    with pytest.raises(TreeError, match=pattern):
        evaluate(tree, {"p": 0.5})
    with pytest.raises(KeyError):  # still a KeyError, so m.get(...) keeps its default
        evaluate(tree, {"p": 0.5})
    fallback = Decision("d", [("a", Terminal("t", v=lambda m: m.get("q", 2.0) * m["p"]))])
    assert evaluate(fallback, {"p": 0.5}).expected("v") == pytest.approx(1.0)


def test_declared_payoffs_catch_a_misspelt_payoff():
    tree = Decision("d", [("a", Terminal("t", cost=1.0, dalys=0.1)), ("b", Terminal("u", costs=2.0, dalys=0.2))])
    # without a declaration the misspelling is silent: 'b' costs nothing and gets a column of its own
    silent = evaluate(tree, {})
    assert silent.table.loc["b", "cost"] == 0.0 and "costs" in silent.table.columns
    pattern = (r"strategy 'b', node 'u': payoff 'costs' is unknown; known: 'cost', 'dalys' "
               r"\(did you mean 'cost'\?\)")
    with pytest.raises(TreeError, match=pattern):
        evaluate(tree, {}, payoffs=["cost", "dalys"])
    assert evaluate(screening_tree(), PARAMS, payoffs=["cost", "dalys"]).table.shape == (2, 2)


def test_asking_for_a_payoff_the_tree_lacks_lists_its_payoffs():
    r = evaluate(screening_tree(), PARAMS)
    with pytest.raises(KeyError, match=r"payoff 'daly' is unknown; known: 'cost', 'dalys' \(did you mean 'dalys'\?\)"):
        r.expected("daly")


def test_structure_errors():
    with pytest.raises(TreeError, match="at most one branch may use REST"):
        Chance("c", [("a", REST, Terminal("a")), ("b", REST, Terminal("b"))])
    with pytest.raises(TreeError, match="repeated strategy labels"):
        Decision("d", [("a", Terminal("x")), ("a", Terminal("y"))])


def test_mermaid_diagram_lists_every_node_and_edge():
    text = mermaid(screening_tree())
    assert text.startswith("flowchart LR")
    assert text.count('>"treated"]') == 2 and '"sick: prevalence"' in text and '"no: #"' in text
    assert mermaid_markdown(screening_tree()).startswith("```mermaid\n")
    shallow = mermaid(screening_tree(), max_depth=1)
    assert "treated" not in shallow


def test_mermaid_edges_can_be_described_in_words():
    text = mermaid(screening_tree(), describe=lambda p: "10%" if p == "prevalence" else None)
    assert '"sick: 10%"' in text and '"no: #"' in text  # undescribed values keep their default text


def test_antenatal_tree_diagram_has_no_code_names():
    from model import antenatal
    from model import parameters as P

    ps = P.load("BGD", "base")
    text = antenatal.diagram("MMS", antenatal.run_set(ps).derived)
    assert "__" not in text and "term_aga" not in text and "#" not in text
    assert '"term, appropriate size: ' in text and '"alive at 1 year: the rest"' in text
