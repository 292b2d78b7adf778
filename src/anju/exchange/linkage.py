"""Record linkage: Splink (Fellegi–Sunter, EM) with what the domain knows about Chinese IDs.

The model compares names through pinyin keys (DuckDB string distances count UTF-8 bytes;
pinyin keys are ASCII, so byte and character distance agree and Spark gives the same answer),
treats a valid matching ID as near-certain, a one-digit-off or transposed ID as strong only
when name and birth date agree, vetoes valid IDs that share region and birth date but differ in
the sequence digits (twins, near-identical IDs: different people), and compares phone and
address *together*, because households share both.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import polars as pl

from anju.exchange import standardise as st

LINK_COLUMNS = ["uid", "id_number", "id_valid", "id14", "name", "name_py", "sur_py", "given_py",
                "name_pyf", "birth_date", "sex", "phone", "addr", "cur", "employer"]
VETO = ('id_valid_l AND id_valid_r AND id_number_l <> id_number_r '
        'AND id14_l = id14_r')
# An accepted pair needs this match weight (log2 Bayes factor); tuned on the benchmark truth.
DEFAULT_THRESHOLD = 10.0

# Admin prefixes up to the county, so "浙江省湖州市长兴县煤山镇X" and "煤山镇X" compare equal.
_ADMIN_PREFIX = r"^(?:.{2,9}?(?:省|自治区))?(?:.{2,9}?(?:市|自治州|地区|盟))?(?:.{1,9}?(?:县|区|旗))?"


def prepare(raw: pl.DataFrame) -> pl.DataFrame:
    """Standard-column raw records → the compact, standardised frame the model compares."""
    col = lambda c: raw[c].cast(pl.String)
    ids = st.id_numbers(col("id_number"))
    nm = _via_unique(col("name"), st.person_names)
    df = pl.DataFrame({
        "uid": pl.Series(range(raw.height), dtype=pl.Int64),
        "id_number": ids["id_number"], "id_valid": ids["id_valid"],
        "name": nm["name"], "name_py": nm["name_py"], "sur_py": nm["sur_py"],
        "given_py": nm["given_py"], "name_pyf": nm["name_pyf"],
        "birth_date": _via_unique(col("birth_date"), st.dates)["date"],
        "sex": _via_unique(col("sex"), st.sexes)["sex"],
        "phone": st.phones(col("phone"))["phone"],
        "addr": _via_unique(col("hukou_address"), _address_key)["key"],
        "cur": _via_unique(col("current_address"), _address_key)["key"],
        "employer": _via_unique(col("employer"), lambda s: st.address_text(s).to_frame("e"))["e"],
    })
    from_id = pl.col("id_number").str.slice(6, 8).str.strptime(pl.Date, "%Y%m%d", strict=False)
    return df.with_columns(
        id14=pl.when(pl.col("id_valid")).then(pl.col("id_number").str.slice(0, 14)),
        birth_date=pl.coalesce(
            "birth_date", pl.when(pl.col("id_valid")).then(from_id.dt.to_string("%Y-%m-%d"))
        ),
        # the ID's 17th digit is odd for men: fill a missing sex from a valid ID
        sex=pl.coalesce("sex", pl.when(pl.col("id_valid")).then(
            pl.when(pl.col("id_number").str.slice(16, 1).cast(pl.Int32) % 2 == 1)
            .then(pl.lit("M")).otherwise(pl.lit("F")))),
    ).select(LINK_COLUMNS)


def _via_unique(s: pl.Series, fn) -> pl.DataFrame:
    """Apply a column standardiser to the distinct values only, then map back (names,
    dates and addresses repeat a lot: 1M rows hold a few hundred thousand distinct values)."""
    uniq = s.unique()
    out = fn(uniq)
    out = out.with_columns(_k=uniq)
    return s.to_frame("_k").join(out, on="_k", how="left", maintain_order="left").drop("_k")


def _address_key(raw: pl.Series) -> pl.DataFrame:
    s = st.address_text(raw.cast(pl.String))
    key = s.str.replace(_ADMIN_PREFIX, "").str.replace_all(r"[号幢栋室#\-]", "").replace("", None)
    return key.to_frame("key")


# --- the Splink model ------------------------------------------------------------------------

def _level(sql: str, label: str, **kw) -> dict:
    return {"sql_condition": sql, "label_for_charts": label, **kw}


def _null(*cols: str) -> dict:
    sql = " OR ".join(f"{c}_l IS NULL OR {c}_r IS NULL" for c in cols)
    return _level(sql, "null", is_null_level=True)


def _comparison(name: str, levels: list[dict]) -> dict:
    return {"output_column_name": name, "comparison_description": name,
            "comparison_levels": levels + [_level("ELSE", "else")]}


def comparisons() -> list[dict]:
    near_id = ('damerau_levenshtein(id_number_l, id_number_r) <= 1 '
               'AND NOT (id_valid_l AND id_valid_r)')
    same_person_details = ('name_py_l = name_py_r AND (birth_date_l = birth_date_r '
                           'OR birth_date_l IS NULL OR birth_date_r IS NULL)')
    same_place = '(addr_l = addr_r OR cur_l = cur_r)'
    return [
        _comparison("id_number", [
            _null("id_number"),
            _level('id_number_l = id_number_r', "exact"),
            # never trained: twins and strangers with near-identical valid IDs are not one person
            _level(VETO, "same region+birth, other sequence", m_probability=1e-9,
                   u_probability=1e-4, fix_m_probability=True, fix_u_probability=True),
            # random pairs almost never land here, so u-sampling cannot see these levels: fix u
            _level(f"{near_id} AND {same_person_details}", "one digit off, name+birth agree",
                   u_probability=1e-8, fix_u_probability=True),
            _level(near_id, "one digit off", u_probability=1e-7, fix_u_probability=True),
            _level('id_valid_l AND id_valid_r', "both valid, different"),
        ]),
        _comparison("name", [
            _null("name_py"),
            _level('name_l = name_r', "exact", tf_adjustment_column="name"),
            _level('name_py_l = name_py_r', "pinyin", tf_adjustment_column="name_py"),
            _level('name_pyf_l = name_pyf_r', "dialect pinyin"),
            # no "given name one letter off" level: 张伟明/张伟亮 are siblings, not a typo
        ]),
        _comparison("birth_date", [
            _null("birth_date"),
            _level('birth_date_l = birth_date_r', "exact"),
            _level('damerau_levenshtein(birth_date_l, birth_date_r) <= 1', "one digit off"),
            _level('substr(birth_date_l, 1, 7) = substr(birth_date_r, 1, 7)', "same month"),
        ]),
        _comparison("sex", [_null("sex"), _level('sex_l = sex_r', "exact")]),
        # phone and address together: a household shares both, so they are not independent
        _comparison("household", [
            _level('(phone_l IS NULL OR phone_r IS NULL) AND (addr_l IS NULL OR addr_r IS NULL)'
                   ' AND (cur_l IS NULL OR cur_r IS NULL)', "nothing to compare",
                   is_null_level=True),
            _level(f'phone_l = phone_r AND {same_place}', "phone and address"),
            _level('phone_l = phone_r', "phone"),
            _level(same_place, "address"),
        ]),
        _comparison("employer", [_null("employer"), _level('employer_l = employer_r', "exact")]),
    ]


def blocking_rules() -> list[str]:
    return [
        'l.id_number = r.id_number',
        'l.name_py = r.name_py AND l.birth_date = r.birth_date',
        'l.phone = r.phone AND l.sur_py = r.sur_py',
        'l.name_pyf = r.name_pyf AND l.cur = r.cur',
        'l.name_pyf = r.name_pyf AND l.addr = r.addr',
    ]


def settings() -> dict:
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "uid",
        "comparisons": comparisons(),
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": b} for b in blocking_rules()
        ],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
        "probability_two_random_records_match": 1e-6,
    }


def _db_api(backend: str, spark=None):
    if backend == "spark":
        from splink import SparkAPI

        return SparkAPI(spark_session=spark)
    import duckdb
    from splink import DuckDBAPI

    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    return DuckDBAPI(connection=con)


def _register(df: pl.DataFrame, backend: str, spark, name: str):
    api = _db_api(backend, spark)
    if backend == "duckdb":
        return api.register(df.to_arrow(), dataset_display_name=name)
    # Spark reads Parquet natively: no pandas round trip
    path = Path(tempfile.mkdtemp(prefix="anju-link-")) / f"{name}.parquet"
    df.write_parquet(path)
    return api.register(spark.read.parquet(str(path)), dataset_display_name=name)


def train(df: pl.DataFrame, *, seed: int = 42, sample: int = 300_000, backend: str = "duckdb",
          spark=None, log=lambda msg: None) -> dict:
    """Estimate the model (prior, u by sampling, m by EM) on up to `sample` records.

    A uniform record sample keeps the match prior unbiased (matches and pairs both scale with
    the square of the fraction) and leaves plenty of pairs for EM; term frequencies are taken
    from the full data at prediction time.
    """
    from splink import Linker

    logging.getLogger("splink").setLevel(logging.ERROR)
    if df.height > sample:
        df = df.sample(n=sample, seed=seed)
    linker = Linker(_register(df, backend, spark, "training"), settings(), log_level=None)
    t = linker.training
    log(f"training on {df.height:,} records: prior from valid ID matches")
    t.estimate_probability_two_random_records_match(
        ['l.id_number = r.id_number AND l.id_valid'], recall=0.9)
    log("training: u by random sampling")
    t.estimate_u_using_random_sampling(max_pairs=1e6, seed=seed)
    log("training: EM blocked on ID number")
    t.estimate_parameters_using_expectation_maximisation(
        'l.id_number = r.id_number', estimate_without_term_frequencies=True)
    # the ID comparison reads name and birth date (typo level), so train it on a block that
    # uses neither: a shared phone (households and repeat registrations)
    log("training: EM blocked on phone")
    t.estimate_parameters_using_expectation_maximisation(
        'l.phone = r.phone', estimate_without_term_frequencies=True)
    return linker.misc.save_model_to_json()


def predict(df: pl.DataFrame, model: dict, *, min_weight: float = -5.0, backend: str = "duckdb",
            spark=None) -> pl.DataFrame:
    """Score every blocked pair with a trained model: uid_l, uid_r, match_weight, veto."""
    from splink import Linker

    logging.getLogger("splink").setLevel(logging.ERROR)
    trained = {k: v for k, v in model.items() if not k.startswith("anju_")}
    linker = Linker(_register(df, backend, spark, "records"), trained, log_level=None)
    pred = linker.inference.predict(threshold_match_weight=min_weight, warning_mode="never")
    return mark_vetoes(_pairs_frame(pred, backend), df)


def _pairs_frame(pred, backend: str) -> pl.DataFrame:
    if backend == "duckdb":
        sql = f"SELECT uid_l, uid_r, match_weight FROM {pred.physical_name}"
        return pl.from_arrow(pred.db_api._execute_sql_against_backend(sql).to_arrow_table())
    path = Path(tempfile.mkdtemp(prefix="anju-link-")) / "pairs"
    pred.as_spark_dataframe().select("uid_l", "uid_r", "match_weight").write.parquet(str(path))
    return pl.read_parquet(path / "*.parquet")


def mark_vetoes(pairs: pl.DataFrame, df: pl.DataFrame) -> pl.DataFrame:
    """Flag pairs whose valid IDs share region and birth date but not the sequence digits."""
    ids = df.select("uid", "id_number", "id14", "id_valid")
    joined = pairs.join(ids, left_on="uid_l", right_on="uid", how="left").join(
        ids, left_on="uid_r", right_on="uid", how="left", suffix="_r")
    return joined.select(
        "uid_l", "uid_r", "match_weight",
        veto=(pl.col("id_valid") & pl.col("id_valid_r") & (pl.col("id14") == pl.col("id14_r"))
              & (pl.col("id_number") != pl.col("id_number_r"))).fill_null(False),
    )


def accept(pairs: pl.DataFrame, threshold: float = DEFAULT_THRESHOLD) -> pl.DataFrame:
    """Pairs that are the same person: above threshold and not vetoed."""
    return pairs.filter((pl.col("match_weight") >= threshold) & ~pl.col("veto").fill_null(False))


def connected_components(n: int, edges: pl.DataFrame) -> list[int]:
    """Cluster label (smallest member uid) for each of n records, by union–find."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(edges["uid_l"].to_list(), edges["uid_r"].to_list()):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return [find(i) for i in range(n)]


def person_uids(records: pl.DataFrame, labels: list[int]) -> pl.Series:
    """Stable person codes: a SHA-1 of the cluster's smallest source record key,
    so re-running on the same input (or adding unrelated records) keeps a person's code."""
    import hashlib

    df = records.select(key=pl.concat_str(
        [pl.col("source").cast(pl.String).fill_null(""),
         pl.col("source_record_id").cast(pl.String).fill_null("")], separator="|",
    )).with_columns(label=pl.Series(labels, dtype=pl.Int64))
    first = df.group_by("label").agg(pl.col("key").min().alias("first"))
    codes = [f"P{hashlib.sha1(k.encode()).hexdigest()[:16]}" for k in first["first"].to_list()]
    first = first.with_columns(person_uid=pl.Series(codes, dtype=pl.String))
    return df.join(first, on="label", how="left", maintain_order="left")["person_uid"]
