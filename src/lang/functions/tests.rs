//! Expected values come from Terraform's function documentation and `terraform console`
//! (Terraform 1.11).

use super::*;

fn s(x: &str) -> Value {
    Value::string(x)
}

fn n(x: f64) -> Value {
    Value::from_f64(x)
}

fn list(items: &[Value]) -> Value {
    Value::List(items.to_vec())
}

fn strs(items: &[&str]) -> Value {
    Value::List(items.iter().map(|x| s(x)).collect())
}

fn nums(items: &[f64]) -> Value {
    Value::List(items.iter().map(|x| n(*x)).collect())
}

fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

fn run(name: &str, args: &[Value]) -> Result<Value, FuncError> {
    let ctx = FuncCtx {
        base_dir: Path::new("."),
    };
    call(name, args.to_vec(), &ctx)
}

fn ok(name: &str, args: &[Value]) -> Value {
    run(name, args).unwrap_or_else(|e| panic!("{name} failed: {e}"))
}

fn err(name: &str, args: &[Value]) -> FuncError {
    match run(name, args) {
        Ok(v) => panic!("{name} should fail, returned {v}"),
        Err(e) => e,
    }
}

fn fmt(args: &[Value]) -> String {
    match ok("format", args) {
        Value::String(x) => x,
        other => panic!("format returned {other}"),
    }
}

// ---- registry and arity ----

#[test]
fn every_function_has_one_row() {
    let rows: usize = [
        collection::FUNCS,
        conversion::FUNCS,
        crypto::FUNCS,
        datetime::FUNCS,
        encoding::FUNCS,
        filesystem::FUNCS,
        ipnet::FUNCS,
        numeric::FUNCS,
        string::FUNCS,
    ]
    .iter()
    .map(|t| t.len())
    .sum();
    assert_eq!(rows, names().count(), "a name has two rows");
    let mut sorted: Vec<&str> = names().collect();
    sorted.sort_unstable();
    assert_eq!(sorted, names().collect::<Vec<_>>());
}

#[test]
fn wrong_arity_names_the_expected_counts() {
    assert_eq!(
        err("lookup", &[map(&[])]).message,
        "function \"lookup\" expects 2 or 3 arguments, but 1 was given"
    );
    let e = err("length", &[s("a"), s("b")]);
    assert_eq!(
        e.message,
        "function \"length\" expects exactly 1 argument, but 2 were given"
    );
    assert_eq!(e.arg, Some(1));
    assert!(err("format", &[]).message.contains("at least 1 argument"));
    assert!(err("range", &[]).message.contains("1 to 3 arguments"));
}

#[test]
fn unknown_function_suggests_a_close_name() {
    assert_eq!(
        err("lenght", &[s("a")]).message,
        "there is no function named \"lenght\"; did you mean \"length\"?"
    );
    assert_eq!(
        err("frobnicate", &[]).message,
        "there is no function named \"frobnicate\""
    );
}

#[test]
fn try_and_can_are_left_to_the_evaluator() {
    assert!(get("try").is_some_and(|f| f.lazy) && get("can").is_some_and(|f| f.lazy));
    assert!(err("can", &[n(1.0)]).message.contains("evaluator"));
}

#[test]
fn null_arguments_are_rejected_where_terraform_rejects_them() {
    let e = err("length", &[Value::Null]);
    assert_eq!(e.message, "argument must not be null");
    assert_eq!(e.arg, Some(0));
    assert_eq!(err("upper", &[Value::Null]).arg, Some(0));
}

// ---- unknowns ----

#[test]
fn unknown_arguments_make_unknown_results() {
    assert_eq!(ok("upper", &[Value::unknown()]), Value::unknown());
    assert_eq!(
        ok("join", &[s(","), list(&[s("a"), Value::unknown()])]),
        Value::unknown()
    );
    assert_eq!(
        ok("cidrsubnet", &[Value::unknown(), n(4.0), n(1.0)]),
        Value::unknown()
    );
    assert_eq!(
        ok("jsonencode", &[list(&[Value::unknown()])]),
        Value::unknown()
    );
}

#[test]
fn length_of_known_list_with_unknown_elements_is_known() {
    assert_eq!(ok("length", &[list(&[Value::unknown(), n(1.0)])]), n(2.0));
    assert_eq!(ok("length", &[Value::unknown()]), Value::unknown());
}

#[test]
fn concat_and_element_keep_unknown_elements() {
    let u = Value::Unknown(Some("x.id".into()));
    assert_eq!(
        ok("concat", &[list(std::slice::from_ref(&u)), strs(&["a"])]),
        list(&[u.clone(), s("a")])
    );
    assert_eq!(ok("element", &[list(&[s("a"), u.clone()]), n(1.0)]), u);
    assert_eq!(ok("element", &[list(&[s("a"), u.clone()]), n(0.0)]), s("a"));
    assert_eq!(
        ok("concat", &[Value::unknown(), strs(&["a"])]),
        Value::unknown()
    );
}

#[test]
fn merge_lookup_and_keys_tolerate_unknown_values() {
    let u = Value::unknown();
    let m = map(&[("a", u.clone()), ("b", n(1.0))]);
    assert_eq!(ok("lookup", &[m.clone(), s("b")]), n(1.0));
    assert_eq!(ok("keys", std::slice::from_ref(&m)), strs(&["a", "b"]));
    assert_eq!(
        ok("merge", &[m.clone(), map(&[("c", n(2.0))])]).get("c"),
        Some(&n(2.0))
    );
    assert_eq!(ok("merge", &[m, u.clone()]), u);
    assert_eq!(ok("coalesce", &[u.clone(), s("x")]), u);
    assert_eq!(ok("coalesce", &[s("x"), u.clone()]), s("x"));
}

// ---- collections ----

#[test]
fn length_counts_characters_elements_and_keys() {
    assert_eq!(ok("length", &[strs(&[])]), n(0.0));
    assert_eq!(ok("length", &[strs(&["a", "b"])]), n(2.0));
    assert_eq!(ok("length", &[map(&[("a", s("b"))])]), n(1.0));
    assert_eq!(ok("length", &[s("hello")]), n(5.0));
    assert_eq!(ok("length", &[s("héllo")]), n(5.0));
    assert_eq!(
        err("length", &[n(5.0)]).message,
        "argument must be a string, a collection type, or a structural type"
    );
}

#[test]
fn concat_joins_lists() {
    assert_eq!(
        ok("concat", &[strs(&["a", ""]), strs(&["b", "c"])]),
        strs(&["a", "", "b", "c"])
    );
    assert_eq!(
        err("concat", &[]).message,
        "at least one argument is required"
    );
    let e = err("concat", &[nums(&[1.0]), s("a")]);
    assert_eq!(
        e.message,
        "all arguments must be lists or tuples; got string"
    );
    assert_eq!(e.arg, Some(1));
    assert!(
        err("concat", &[Value::set(vec![s("a")])])
            .message
            .contains("got set")
    );
}

#[test]
fn merge_later_wins_and_nulls_are_ignored() {
    assert_eq!(
        ok(
            "merge",
            &[
                map(&[("a", s("b")), ("c", s("d"))]),
                map(&[("e", s("f")), ("c", s("z"))])
            ]
        ),
        map(&[("a", s("b")), ("c", s("z")), ("e", s("f"))])
    );
    assert_eq!(
        ok(
            "merge",
            &[map(&[("a", n(1.0))]), Value::Null, map(&[("a", n(2.0))])]
        ),
        map(&[("a", n(2.0))])
    );
    assert_eq!(ok("merge", &[]), map(&[]));
    let e = err("merge", &[map(&[]), s("x")]);
    assert_eq!(
        e.message,
        "arguments must be maps or objects, got \"string\""
    );
    assert_eq!(e.arg, Some(1));
}

#[test]
fn lookup_finds_defaults_and_reports_missing_keys() {
    let m = map(&[("a", s("ay")), ("b", s("bee"))]);
    assert_eq!(ok("lookup", &[m.clone(), s("a"), s("what?")]), s("ay"));
    assert_eq!(ok("lookup", &[m.clone(), s("c"), s("what?")]), s("what?"));
    assert_eq!(ok("lookup", &[m.clone(), s("c"), Value::Null]), Value::Null);
    let e = err("lookup", &[m, s("c")]);
    assert_eq!(e.message, "the given object has no attribute \"c\"");
    assert_eq!(e.arg, Some(1));
    assert_eq!(err("lookup", &[strs(&[]), s("a")]).arg, Some(0));
}

#[test]
fn element_wraps_around() {
    let l = strs(&["a", "b", "c"]);
    assert_eq!(ok("element", &[l.clone(), n(1.0)]), s("b"));
    assert_eq!(ok("element", &[l.clone(), n(3.0)]), s("a"));
    assert_eq!(ok("element", &[l.clone(), n(5.0)]), s("c"));
    assert_eq!(ok("element", &[l.clone(), s("4")]), s("b"));
}

#[test]
fn element_errors() {
    let l = strs(&["a", "b"]);
    let e = err("element", &[l.clone(), n(-1.0)]);
    assert_eq!(
        e.message,
        "cannot use element function with a negative index"
    );
    assert_eq!(e.arg, Some(1));
    assert_eq!(
        err("element", &[strs(&[]), n(0.0)]).message,
        "cannot use element function with an empty list"
    );
    assert_eq!(
        err("element", &[l, n(1.5)]).message,
        "invalid index: value must be a whole number, between -9223372036854775808 and 9223372036854775807"
    );
    assert_eq!(
        err("element", &[Value::set(vec![s("a")]), n(0.0)]).message,
        "cannot read elements from set"
    );
}

#[test]
fn index_finds_the_first_match() {
    assert_eq!(ok("index", &[strs(&["a", "b", "c"]), s("b")]), n(1.0));
    assert_eq!(ok("index", &[strs(&["a", "b", "a"]), s("a")]), n(0.0));
    let e = err("index", &[strs(&["a"]), s("z")]);
    assert_eq!(e.message, "item not found");
    assert_eq!(e.arg, Some(1));
}

#[test]
fn contains_checks_lists_and_sets() {
    assert_eq!(
        ok("contains", &[strs(&["a", "b", "c"]), s("a")]),
        Value::Bool(true)
    );
    assert_eq!(
        ok("contains", &[strs(&["a", "b", "c"]), s("d")]),
        Value::Bool(false)
    );
    let set = Value::set(vec![s("a")]);
    assert_eq!(ok("contains", &[set.clone(), s("a")]), Value::Bool(true));
    assert_eq!(ok("contains", &[set, n(1.0)]), Value::Bool(false));
    assert_eq!(err("contains", &[s("abc"), s("a")]).arg, Some(0));
}

#[test]
fn distinct_keeps_first_occurrences_in_order() {
    assert_eq!(
        ok("distinct", &[strs(&["a", "b", "a", "c", "d", "b"])]),
        strs(&["a", "b", "c", "d"])
    );
    assert_eq!(ok("distinct", &[strs(&["b", "a", "b"])]), strs(&["b", "a"]));
    assert_eq!(ok("distinct", &[Value::set(vec![s("a")])]), strs(&["a"]));
}

#[test]
fn flatten_is_recursive_over_lists_and_sets() {
    assert_eq!(
        ok(
            "flatten",
            &[list(&[strs(&["a", "b"]), strs(&[]), strs(&["c"])])]
        ),
        strs(&["a", "b", "c"])
    );
    assert_eq!(
        ok(
            "flatten",
            &[list(&[
                list(&[n(1.0), nums(&[2.0, 3.0])]),
                Value::set(vec![n(4.0)]),
                n(5.0)
            ])]
        ),
        nums(&[1.0, 2.0, 3.0, 4.0, 5.0])
    );
    let m = map(&[("a", n(1.0))]);
    assert_eq!(
        ok("flatten", &[list(&[list(std::slice::from_ref(&m))])]),
        list(&[m])
    );
    assert_eq!(
        err("flatten", &[s("a")]).message,
        "can only flatten lists, sets and tuples"
    );
}

#[test]
fn keys_and_values_are_in_key_order() {
    let m = map(&[("a", n(1.0)), ("c", n(2.0)), ("d", n(3.0))]);
    assert_eq!(ok("keys", std::slice::from_ref(&m)), strs(&["a", "c", "d"]));
    assert_eq!(ok("values", &[m]), nums(&[1.0, 2.0, 3.0]));
    assert_eq!(ok("keys", &[map(&[])]), strs(&[]));
    assert_eq!(
        err("keys", &[nums(&[1.0])]).message,
        "must have map or object type"
    );
    assert_eq!(err("values", &[s("x")]).arg, Some(0));
}

#[test]
fn zipmap_pairs_keys_with_values() {
    assert_eq!(
        ok("zipmap", &[strs(&["a", "b"]), nums(&[1.0, 2.0])]),
        map(&[("a", n(1.0)), ("b", n(2.0))])
    );
    assert_eq!(
        err("zipmap", &[strs(&["a"]), nums(&[1.0, 2.0])]).message,
        "number of keys (1) does not match number of values (2)"
    );
    assert_eq!(
        ok("zipmap", &[strs(&["a"]), list(&[Value::unknown()])]),
        map(&[("a", Value::unknown())])
    );
    assert_eq!(
        ok("zipmap", &[list(&[Value::unknown()]), nums(&[1.0])]),
        Value::unknown()
    );
}

#[test]
fn range_follows_the_documented_examples() {
    assert_eq!(ok("range", &[n(3.0)]), nums(&[0.0, 1.0, 2.0]));
    assert_eq!(ok("range", &[n(1.0), n(4.0)]), nums(&[1.0, 2.0, 3.0]));
    assert_eq!(
        ok("range", &[n(1.0), n(8.0), n(2.0)]),
        nums(&[1.0, 3.0, 5.0, 7.0])
    );
    assert_eq!(
        ok("range", &[n(1.0), n(4.0), n(0.5)]),
        nums(&[1.0, 1.5, 2.0, 2.5, 3.0, 3.5])
    );
    assert_eq!(ok("range", &[n(4.0), n(1.0)]), nums(&[4.0, 3.0, 2.0]));
    assert_eq!(
        ok("range", &[n(10.0), n(5.0), n(-2.0)]),
        nums(&[10.0, 8.0, 6.0])
    );
    assert_eq!(ok("range", &[n(-3.0)]), nums(&[0.0, -1.0, -2.0]));
    assert_eq!(ok("range", &[n(0.0)]), nums(&[]));
}

#[test]
fn range_rejects_bad_steps() {
    let e = err("range", &[n(0.0), n(5.0), n(0.0)]);
    assert_eq!(e.message, "step must not be zero");
    assert_eq!(e.arg, Some(2));
    assert_eq!(
        err("range", &[n(0.0), n(5.0), n(-1.0)]).message,
        "end must be less than start when step is negative"
    );
    assert_eq!(
        err("range", &[n(5.0), n(0.0), n(1.0)]).message,
        "end must be greater than start when step is positive"
    );
    assert!(
        err("range", &[n(2000.0)])
            .message
            .starts_with("more than 1024 values")
    );
    assert_eq!(
        ok("range", &[n(1024.0)]).as_seq().map(<[Value]>::len),
        Some(1024)
    );
}

// ---- conversions ----

#[test]
fn toset_sorts_dedups_and_unifies() {
    assert_eq!(
        ok("toset", &[strs(&["c", "b", "b"])]),
        Value::Set(vec![s("b"), s("c")])
    );
    assert_eq!(
        ok("toset", &[list(&[s("a"), s("b"), n(3.0)])]),
        Value::Set(vec![s("3"), s("a"), s("b")])
    );
    assert_eq!(ok("toset", &[Value::Null]), Value::Null);
    assert!(
        err("toset", &[list(&[n(1.0), Value::Bool(true)])])
            .message
            .contains("any single type")
    );
}

#[test]
fn tolist_and_tomap_unify_primitives_to_string() {
    assert_eq!(
        ok("tolist", &[list(&[s("a"), s("b"), n(3.0)])]),
        strs(&["a", "b", "3"])
    );
    assert_eq!(ok("tolist", &[Value::set(vec![s("a")])]), strs(&["a"]));
    assert_eq!(
        ok(
            "tomap",
            &[map(&[("a", s("foo")), ("b", Value::Bool(true))])]
        ),
        map(&[("a", s("foo")), ("b", s("true"))])
    );
    assert_eq!(
        err("tolist", &[s("a")]).message,
        "cannot convert string to list of any single type"
    );
    assert_eq!(
        err("tomap", &[map(&[("a", n(1.0)), ("b", nums(&[1.0]))])]).message,
        "cannot convert object to map of any single type"
    );
    assert_eq!(
        ok("tolist", &[list(&[Value::unknown(), s("a")])]),
        list(&[Value::unknown(), s("a")])
    );
}

#[test]
fn tostring_and_tonumber() {
    assert_eq!(ok("tostring", &[s("hello")]), s("hello"));
    assert_eq!(ok("tostring", &[n(1.0)]), s("1"));
    assert_eq!(ok("tostring", &[Value::Bool(true)]), s("true"));
    assert_eq!(ok("tostring", &[Value::Null]), Value::Null);
    assert_eq!(
        err("tostring", &[strs(&["a"])]).message,
        "cannot convert list to string"
    );
    assert_eq!(ok("tonumber", &[n(1.0)]), n(1.0));
    assert_eq!(ok("tonumber", &[s("1")]), n(1.0));
    assert_eq!(ok("tonumber", &[s("1e3")]), n(1000.0));
    assert_eq!(ok("tonumber", &[Value::Null]), Value::Null);
    assert_eq!(
        err("tonumber", &[s("no")]).message,
        "cannot convert \"no\" to number; given string must be a decimal representation of a number"
    );
    assert!(run("tonumber", &[s(" 5")]).is_err());
    assert!(run("tonumber", &[s("0x10")]).is_err());
}

// ---- strings ----

#[test]
fn format_documented_examples() {
    assert_eq!(fmt(&[s("Hello, %s!"), s("Ander")]), "Hello, Ander!");
    assert_eq!(
        fmt(&[s("There are %d lights"), n(4.0)]),
        "There are 4 lights"
    );
    assert_eq!(
        fmt(&[s("%v %v %v"), n(1.0), s("a"), Value::Bool(true)]),
        "1 a true"
    );
    assert_eq!(fmt(&[s("%[2]s %[1]s"), s("a"), s("b")]), "b a");
    assert_eq!(fmt(&[s("100%%")]), "100%");
}

#[test]
fn format_width_precision_and_flags() {
    assert_eq!(
        fmt(&[
            s("%5.2f|%03d|%-5s|%q|%t|%x|%%|%v"),
            n(1.23456),
            n(7.0),
            s("ab"),
            s("q\"x"),
            Value::Bool(true),
            n(255.0),
            nums(&[1.0]),
        ]),
        " 1.23|007|ab   |\"q\\\"x\"|true|ff|%|[1]"
    );
    assert_eq!(
        fmt(&[
            s("%05.1f|%-6d|%6s|%+.2f"),
            n(-2.345),
            n(-42.0),
            s("é"),
            n(2.0)
        ]),
        "-02.3|-42   |     é|+2.00"
    );
    assert_eq!(fmt(&[s("%10.3s|"), s("abcdef")]), "       abc|");
    assert_eq!(fmt(&[s("%+d % d"), n(5.0), n(5.0)]), "+5  5");
    assert_eq!(fmt(&[s("%X %o %b"), n(255.0), n(8.0), n(5.0)]), "FF 10 101");
    assert_eq!(fmt(&[s("%b %o"), n(5.0), n(-8.0)]), "101 -10");
}

#[test]
fn format_floats_like_go() {
    assert_eq!(fmt(&[s("%e"), n(1234.5)]), "1.234500e+03");
    assert_eq!(
        fmt(&[
            s("%.2e|%g|%g|%.3g|%e"),
            n(1234.5678),
            n(0.00001234),
            n(123456.0),
            n(1.0),
            n(0.0)
        ]),
        "1.23e+03|1.234e-05|123456|1|0.000000e+00"
    );
    assert_eq!(
        fmt(&[
            s("%.0f %.1f %f %g"),
            n(2.5),
            n(0.05),
            n(1.0),
            n(100000000.0)
        ]),
        "2 0.1 1.000000 1e+08"
    );
}

#[test]
fn format_converts_like_cty() {
    assert_eq!(fmt(&[s("%d"), s("12")]), "12");
    assert_eq!(fmt(&[s("%s"), Value::Bool(true)]), "true");
    assert_eq!(fmt(&[s("%q"), n(5.0)]), "\"5\"");
    assert_eq!(fmt(&[s("%v"), map(&[("a", n(1.0))])]), "{\"a\":1}");
    assert_eq!(
        fmt(&[s("%q"), s("a\tb\u{e9}\u{1}")]),
        "\"a\\tb\u{e9}\\u0001\""
    );
    assert_eq!(fmt(&[s("%d"), n(1e20)]), "100000000000000000000");
}

#[test]
fn format_takes_precisions_up_to_a_million_and_refuses_more() {
    // Found by fuzzing: format("%.99999f", 0) panicked (Rust's formatter takes at most
    // 65,535), and a width of 99999999999 asked for 100 GB of padding.
    let zeros = |k: usize| "0".repeat(k);
    assert_eq!(
        ok("format", &[s("%.99999f"), n(0.0)]),
        s(&format!("0.{}", zeros(99_999)))
    );
    assert_eq!(
        ok("format", &[s("%.70000f"), n(0.5)]),
        s(&format!("0.5{}", zeros(69_999)))
    );
    assert_eq!(
        ok("format", &[s("%.70000e"), n(1.5)]),
        s(&format!("1.5{}e+00", zeros(69_999)))
    );
    assert_eq!(ok("format", &[s("%.70000g"), n(1.5)]), s("1.5"));
    // 2^-1074 has 1,074 decimals, the last a 5: the ones past it are zeros, not cut.
    let Value::String(tiny) = ok("format", &[s("%.1200f"), n(5e-324)]) else {
        panic!("a string")
    };
    assert_eq!(tiny.len(), 1202);
    assert!(tiny.ends_with(&format!("5{}", zeros(126))), "{tiny}");
    assert_eq!(
        err("format", &[s("%99999999999d"), n(1.0)]).message,
        "width 99999999999 at offset 0 is too large: at most 1000000"
    );
    assert_eq!(
        err("format", &[s("%.1000001f"), n(1.0)]).message,
        "precision 1000001 at offset 0 is too large: at most 1000000"
    );
    assert_eq!(
        err("format", &[s("%.99999999999999999999999s"), s("a")]).message,
        "precision 99999999999999999999999 at offset 0 is too large: at most 1000000"
    );
}

#[test]
fn format_errors_match_terraform() {
    let e = err("format", &[s("%d"), n(1.5)]);
    assert_eq!(
        e.message,
        "unsupported value for \"%d\" at 0: an integer is required"
    );
    assert_eq!(e.arg, Some(1));
    assert_eq!(
        err("format", &[s("%s")]).message,
        "not enough arguments for \"%s\" at 0: need index 1 but have 0 total"
    );
    assert_eq!(
        err("format", &[s("%s %s"), s("a")]).message,
        "not enough arguments for \"%s\" at 3: need index 2 but have 1 total"
    );
    assert_eq!(
        err("format", &[s("%s"), nums(&[1.0])]).message,
        "unsupported value for \"%s\" at 0: string required"
    );
    assert_eq!(
        err("format", &[s("%z"), n(1.0)]).message,
        "unsupported format verb 'z' in \"%z\" at offset 0"
    );
    let e = err("format", &[s("%s"), s("a"), s("b")]);
    assert_eq!(
        e.message,
        "too many arguments; only 1 used by format string"
    );
    assert_eq!(e.arg, Some(2));
    assert_eq!(
        err("format", &[s("%x"), s("hi")]).message,
        "unsupported value for \"%x\" at 0: a number is required"
    );
    assert!(
        err("format", &[s("abc %")])
            .message
            .contains("unterminated")
    );
}

#[test]
fn join_concatenates_one_or_more_lists() {
    assert_eq!(
        ok("join", &[s("-"), strs(&["foo", "bar", "baz"])]),
        s("foo-bar-baz")
    );
    assert_eq!(ok("join", &[s(", "), strs(&["foo"])]), s("foo"));
    assert_eq!(
        ok("join", &[s(", "), strs(&["a", "b"]), strs(&["c"])]),
        s("a, b, c")
    );
    assert_eq!(ok("join", &[s(","), strs(&[])]), s(""));
    assert_eq!(
        ok("join", &[s(","), list(&[n(1.0), Value::Bool(true)])]),
        s("1,true")
    );
    let e = err("join", &[s(","), list(&[s("a"), Value::Null])]);
    assert_eq!(
        e.message,
        "element 1 is null; cannot concatenate null values"
    );
    assert_eq!(e.arg, Some(1));
    assert_eq!(
        err("join", &[s(",")]).message,
        "at least one list is required"
    );
}

#[test]
fn split_like_go() {
    assert_eq!(ok("split", &[s(","), s("foo")]), strs(&["foo"]));
    assert_eq!(
        ok("split", &[s(","), s("foo,bar,baz")]),
        strs(&["foo", "bar", "baz"])
    );
    assert_eq!(
        ok("split", &[s(","), s("a,b,,c")]),
        strs(&["a", "b", "", "c"])
    );
    assert_eq!(ok("split", &[s(","), s("")]), strs(&[""]));
    assert_eq!(ok("split", &[s(""), s("abc")]), strs(&["a", "b", "c"]));
}

#[test]
fn replace_substrings_and_refuse_regexes() {
    assert_eq!(
        ok("replace", &[s("1 + 2 + 3"), s("+"), s("-")]),
        s("1 - 2 - 3")
    );
    assert_eq!(ok("replace", &[s("abc"), s(""), s("-")]), s("-a-b-c-"));
    assert_eq!(
        ok("replace", &[s("hello world"), s("/w.*d/"), s("everybody")]),
        s("hello everybody")
    );
    // A lone slash is an ordinary substring.
    assert_eq!(ok("replace", &[s("a/b"), s("/"), s("_")]), s("a_b"));
}

#[test]
fn case_and_space() {
    assert_eq!(ok("lower", &[s("HELLO")]), s("hello"));
    assert_eq!(ok("upper", &[s("héllo")]), s("HÉLLO"));
    assert_eq!(ok("trimspace", &[s("  \n hi \t")]), s("hi"));
    assert_eq!(ok("upper", &[n(1.0)]), s("1"));
    assert_eq!(err("lower", &[strs(&[])]).message, "string required");
}

#[test]
fn min_and_max() {
    assert_eq!(ok("min", &[n(12.0), n(54.0), n(3.0)]), n(3.0));
    assert_eq!(ok("max", &[n(12.0), n(54.0), n(3.0)]), n(54.0));
    assert_eq!(ok("max", &[s("5"), n(3.0)]), n(5.0));
    assert_eq!(err("min", &[]).message, "must pass at least one number");
    let e = err("max", &[n(1.0), nums(&[1.0, 2.0])]);
    assert_eq!(e.message, "number required");
    assert_eq!(e.arg, Some(1));
}

#[test]
fn coalesce_skips_nulls_and_empty_strings() {
    assert_eq!(ok("coalesce", &[s("a"), s("b")]), s("a"));
    assert_eq!(ok("coalesce", &[s(""), s("b")]), s("b"));
    assert_eq!(ok("coalesce", &[n(1.0), n(2.0)]), n(1.0));
    assert_eq!(ok("coalesce", &[Value::Null, n(2.0)]), n(2.0));
    assert_eq!(ok("coalesce", &[n(1.0), s("b")]), s("1"));
    assert_eq!(
        err("coalesce", &[Value::Null, s("")]).message,
        "no non-null, non-empty-string arguments"
    );
    assert!(run("coalesce", &[]).is_err());
    assert_eq!(
        err("coalesce", &[n(1.0), strs(&["a"])]).message,
        "all arguments must have the same type"
    );
}

fn re(subject: &str, pattern: &str, repl: &str) -> Value {
    ok("replace", &[s(subject), s(pattern), s(repl)])
}

#[test]
fn replace_with_regex_matches_terraform() {
    assert_eq!(re("a1b22c333", "/[0-9]+/", "<$0>"), s("a<1>b<22>c<333>"));
    assert_eq!(re("foo.bar-baz", "/[^a-z0-9]/", "_"), s("foo_bar_baz"));
    assert_eq!(
        re("John Smith", "/(\\w+) (\\w+)/", "$2, $1"),
        s("Smith, John")
    );
    assert_eq!(
        re("10.0.0.1", "/^(\\d+)\\.(\\d+).*$/", "${1}-${2}x"),
        s("10-0x")
    );
    assert_eq!(re("abab", "/(?:ab){2}/", "Z"), s("Z"));
    assert_eq!(re("aXbX", "/X$/", "!"), s("aXb!"));
    assert_eq!(re("a.b", "/\\./", "$$"), s("a$b"));
    assert_eq!(re("ab", "/(a)|b/", "[$1]"), s("[a][]"));
    // Go reads `$1x` as the group named "1x", which does not exist.
    assert_eq!(re("abc", "/b/", "$1x"), s("ac"));
}

#[test]
fn replace_with_regex_handles_empty_matches_like_go() {
    assert_eq!(re("abc", "/x*/", "-"), s("-a-b-c-"));
    assert_eq!(re("aaa", "/a*?/", "X"), s("XaXaXaX"));
    assert_eq!(re("baaac", "/a*/", "-"), s("-b-c-"));
}

#[test]
fn replace_with_regex_is_linear_on_pathological_patterns() {
    let subject = "a".repeat(2000);
    assert_eq!(re(&subject, "/(a*)*b/", "x"), s(&subject));
    assert_eq!(re(&subject, "/a/", "b"), s(&"b".repeat(2000)));
}

#[test]
fn replace_rejects_invalid_regex() {
    let e = err("replace", &[s("x"), s("/(/"), s("y")]);
    assert!(
        e.message
            .starts_with("invalid regular expression \"/(/\": ")
            && e.message.contains("closing"),
        "{}",
        e.message
    );
    assert_eq!(e.arg, Some(1));
    assert!(run("replace", &[s("x"), s("/[b-a]/"), s("y")]).is_err());
}

// ---- networking ----

#[test]
fn cidrhost_documented_examples() {
    assert_eq!(
        ok("cidrhost", &[s("10.12.112.0/20"), n(16.0)]),
        s("10.12.112.16")
    );
    assert_eq!(
        ok("cidrhost", &[s("10.12.112.0/20"), n(268.0)]),
        s("10.12.113.12")
    );
    assert_eq!(
        ok("cidrhost", &[s("fd00:fd12:3456:7890:00a2::/72"), n(34.0)]),
        s("fd00:fd12:3456:7890::22")
    );
    assert_eq!(ok("cidrhost", &[s("10.0.0.5/24"), n(1.0)]), s("10.0.0.1"));
}

#[test]
fn cidrhost_negative_counts_from_the_end() {
    assert_eq!(
        ok("cidrhost", &[s("10.0.0.0/24"), n(-1.0)]),
        s("10.0.0.255")
    );
    assert_eq!(
        ok("cidrhost", &[s("10.0.0.0/24"), n(-256.0)]),
        s("10.0.0.0")
    );
    assert_eq!(
        ok("cidrhost", &[s("::/0"), n(-1.0)]),
        s("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
    );
}

#[test]
fn cidrhost_errors() {
    let e = err("cidrhost", &[s("10.0.0.0/24"), n(256.0)]);
    assert_eq!(
        e.message,
        "prefix of 24 does not accommodate a host numbered 256"
    );
    assert_eq!(e.arg, Some(1));
    assert_eq!(
        err("cidrhost", &[s("10.0.0.0/24"), n(-257.0)]).message,
        "prefix of 24 does not accommodate a host numbered -1"
    );
    let e = err("cidrhost", &[s("10.0.0.0"), n(1.0)]);
    assert_eq!(
        e.message,
        "invalid CIDR expression: invalid CIDR address: 10.0.0.0"
    );
    assert_eq!(e.arg, Some(0));
}

#[test]
fn cidrnetmask_is_ipv4_only() {
    assert_eq!(ok("cidrnetmask", &[s("172.16.0.0/12")]), s("255.240.0.0"));
    assert_eq!(ok("cidrnetmask", &[s("10.0.0.0/32")]), s("255.255.255.255"));
    assert_eq!(
        err("cidrnetmask", &[s("fd00::/8")]).message,
        "IPv6 addresses cannot have a netmask: fd00::/8"
    );
}

#[test]
fn cidrsubnet_documented_examples() {
    assert_eq!(
        ok("cidrsubnet", &[s("172.16.0.0/12"), n(4.0), n(2.0)]),
        s("172.18.0.0/16")
    );
    assert_eq!(
        ok("cidrsubnet", &[s("10.1.2.0/24"), n(4.0), n(15.0)]),
        s("10.1.2.240/28")
    );
    assert_eq!(
        ok(
            "cidrsubnet",
            &[s("fd00:fd12:3456:7890::/56"), n(16.0), n(162.0)]
        ),
        s("fd00:fd12:3456:7800:a200::/72")
    );
    assert_eq!(
        ok("cidrsubnet", &[s("10.0.0.0/8"), n(24.0), n(65535.0)]),
        s("10.0.255.255/32")
    );
    assert_eq!(
        ok("cidrsubnet", &[s("10.0.0.0/8"), n(0.0), n(0.0)]),
        s("10.0.0.0/8")
    );
}

#[test]
fn cidrsubnet_errors() {
    let e = err("cidrsubnet", &[s("10.0.0.0/24"), n(4.0), n(16.0)]);
    assert_eq!(
        e.message,
        "prefix extension of 4 does not accommodate a subnet numbered 16"
    );
    assert_eq!(e.arg, Some(2));
    let e = err("cidrsubnet", &[s("10.0.0.0/24"), n(9.0), n(0.0)]);
    assert_eq!(
        e.message,
        "insufficient address space to extend prefix of 24 by 9"
    );
    assert_eq!(e.arg, Some(1));
    assert_eq!(
        err("cidrsubnet", &[s("10.0.0.0/24"), n(4.0), n(-1.0)]).arg,
        Some(2)
    );
}

#[test]
fn cidrsubnets_documented_examples() {
    assert_eq!(
        ok(
            "cidrsubnets",
            &[s("10.1.0.0/16"), n(4.0), n(4.0), n(8.0), n(4.0)]
        ),
        strs(&[
            "10.1.0.0/20",
            "10.1.16.0/20",
            "10.1.32.0/24",
            "10.1.48.0/20"
        ])
    );
    assert_eq!(
        ok(
            "cidrsubnets",
            &[
                s("fd00:fd12:3456:7890::/56"),
                n(16.0),
                n(16.0),
                n(16.0),
                n(32.0)
            ]
        ),
        strs(&[
            "fd00:fd12:3456:7800::/72",
            "fd00:fd12:3456:7800:100::/72",
            "fd00:fd12:3456:7800:200::/72",
            "fd00:fd12:3456:7800:300::/88",
        ])
    );
    assert_eq!(
        ok("cidrsubnets", &[s("10.1.0.0/16"), n(8.0), n(4.0)]),
        strs(&["10.1.0.0/24", "10.1.16.0/20"])
    );
    assert_eq!(ok("cidrsubnets", &[s("10.0.0.0/24")]), strs(&[]));
    assert_eq!(
        ok("cidrsubnets", &[s("10.0.0.0/8"), n(8.0), n(16.0), n(8.0)]),
        strs(&["10.0.0.0/16", "10.1.0.0/24", "10.2.0.0/16"])
    );
}

#[test]
fn cidrsubnets_errors() {
    let e = err("cidrsubnets", &[s("10.0.0.0/24"), n(1.0), n(1.0), n(1.0)]);
    assert_eq!(
        e.message,
        "not enough remaining address space for a subnet with a prefix of 25 bits after \
         10.0.0.128/25"
    );
    assert_eq!(e.arg, Some(3));
    assert_eq!(
        err("cidrsubnets", &[s("10.0.0.0/24"), n(0.0)]).message,
        "must extend prefix by at least one bit"
    );
    assert_eq!(
        err("cidrsubnets", &[s("10.0.0.0/24"), n(9.0)]).message,
        "would extend prefix to 33 bits, which is too long for an IPv4 address"
    );
    // Terraform's allocator starts from the address before the base, so a /0 base wraps
    // around and fails; kept for compatibility.
    assert_eq!(
        err("cidrsubnets", &[s("0.0.0.0/0"), n(1.0), n(1.0)]).message,
        "not enough remaining address space for a subnet with a prefix of 1 bits after \
         128.0.0.0/1"
    );
}

// ---- files and JSON ----

#[test]
fn file_reads_relative_to_the_base_dir() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("hello.txt"), "Hello World").expect("write");
    let ctx = FuncCtx {
        base_dir: dir.path(),
    };
    assert_eq!(
        call("file", vec![s("hello.txt")], &ctx),
        Ok(s("Hello World"))
    );
    let e = call("file", vec![s("missing.txt")], &ctx).expect_err("missing file");
    assert!(
        e.message.starts_with("no file exists at \""),
        "{}",
        e.message
    );
    assert!(e.message.contains("missing.txt"));
    assert_eq!(e.arg, Some(0));
    std::fs::write(dir.path().join("bin"), [0xff, 0xfe]).expect("write");
    let e = call("file", vec![s("bin")], &ctx).expect_err("binary file");
    assert!(e.message.contains("not valid UTF-8"));
}

#[test]
fn file_reads_neither_devices_nor_huge_files() {
    // /dev/zero was read until memory ran out (an endless allocation the fuzz campaign's
    // heap budget exists to catch), a FIFO would be read forever.
    let dir = tempfile::tempdir().expect("tempdir");
    let ctx = FuncCtx {
        base_dir: dir.path(),
    };
    let e = call("file", vec![s("/dev/zero")], &ctx).expect_err("a device");
    assert!(e.message.contains("not a regular file"), "{}", e.message);
    let e = call("file", vec![s(".")], &ctx).expect_err("a directory");
    assert!(e.message.contains("not a regular file"), "{}", e.message);
    let big = std::fs::File::create(dir.path().join("big.txt")).expect("create");
    big.set_len(filesystem::FILE_LIMIT + 1)
        .expect("sparse file");
    let e = call("file", vec![s("big.txt")], &ctx).expect_err("too big");
    assert!(e.message.contains("larger than 16 MiB"), "{}", e.message);
}

#[test]
fn jsonencode_matches_terraform() {
    assert_eq!(
        ok("jsonencode", &[map(&[("hello", s("world"))])]),
        s("{\"hello\":\"world\"}")
    );
    assert_eq!(
        ok(
            "jsonencode",
            &[map(&[
                ("a", s("<b>&")),
                ("n", n(1.5)),
                ("m", n(3.0)),
                ("l", list(&[Value::Bool(true), Value::Null]))
            ])]
        ),
        s("{\"a\":\"\\u003cb\\u003e\\u0026\",\"l\":[true,null],\"m\":3,\"n\":1.5}")
    );
    assert_eq!(ok("jsonencode", &[s("\u{2028}")]), s("\"\\u2028\""));
    assert_eq!(ok("jsonencode", &[n(0.1)]), s("0.1"));
    assert_eq!(ok("jsonencode", &[n(1e20)]), s("100000000000000000000"));
    assert_eq!(ok("jsonencode", &[n(-3.0)]), s("-3"));
    assert_eq!(
        ok("jsonencode", &[Value::set(vec![s("b"), s("a")])]),
        s("[\"a\",\"b\"]")
    );
    assert_eq!(ok("jsonencode", &[Value::Null]), s("null"));
}

#[test]
fn jsondecode_builds_values() {
    assert_eq!(
        ok("jsondecode", &[s("{\"hello\": \"world\"}")]),
        map(&[("hello", s("world"))])
    );
    assert_eq!(ok("jsondecode", &[s("true")]), Value::Bool(true));
    assert_eq!(
        ok("jsondecode", &[s("{\"a\":[1,2.5,\"x\"],\"b\":null}")]),
        map(&[("a", list(&[n(1.0), n(2.5), s("x")])), ("b", Value::Null)])
    );
    assert_eq!(err("jsondecode", &[s("{")]).arg, Some(0));
}
