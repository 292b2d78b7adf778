"""Monthly forecasts with prediction intervals (statsmodels' ETS) and their published backtest.

Forecasts are made from released figures only — a series with a withheld month gets none — so a
forecast can reveal nothing the released series does not. The backtest refits the model at each
of the last months, forecasts the next month, and reports how often the actual value fell inside
the 80% and 95% intervals and the mean absolute error against the seasonal-naive forecast (the
same month a year before; the month before while there is no year of history).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

MIN_POINTS = 12
SEASONAL_POINTS = 24  # two full years before a seasonal component is fitted


@dataclass
class Forecast:
    months: list[str]
    mean: list[float]
    lower: list[float]
    upper: list[float]
    level: float
    model: str


def _model(values: list[float]):
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    seasonal = len(values) >= SEASONAL_POINTS
    return ETSModel(
        values, error="add", trend="add", damped_trend=True,
        seasonal="add" if seasonal else None, seasonal_periods=12 if seasonal else None)


def _fit(values: list[float]):
    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        series = pd.Series([float(v) for v in values])  # statsmodels' intervals want pandas
        return _model(series).fit(disp=False, maxiter=200)


def predict(values: list[float], horizon: int, level: float = 0.95):
    """(mean, lower, upper, model name) for the next `horizon` steps."""
    out = intervals(values, horizon, (level,))
    mean, (lower, upper) = out["mean"], out[level]
    return mean, lower, upper, out["model"]


def intervals(values: list[float], horizon: int, levels: tuple[float, ...]) -> dict:
    """One fit; the mean and the (lower, upper) interval at each level."""
    fitted = _fit(values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prediction = fitted.get_prediction(start=len(values), end=len(values) + horizon - 1)
        out = {"model": "ETS(A,Ad,A)" if len(values) >= SEASONAL_POINTS else "ETS(A,Ad,N)"}
        for level in levels:
            frame = prediction.summary_frame(alpha=1 - level)
            out["mean"] = frame["mean"].tolist()
            out[level] = (frame["pi_lower"].tolist(), frame["pi_upper"].tolist())
    return out


def forecast(months: list[str], values: list[float], horizon: int,
             level: float = 0.95) -> Forecast | None:
    if len(values) < MIN_POINTS:
        return None
    mean, lower, upper, model = predict(values, horizon, level)
    year, month = map(int, months[-1].split("-"))
    out = []
    for _ in range(horizon):
        month += 1
        if month > 12:
            year, month = year + 1, 1
        out.append(f"{year:04d}-{month:02d}")
    return Forecast(out, [max(0.0, m) for m in mean], [max(0.0, lo) for lo in lower],
                    [max(0.0, hi) for hi in upper], level, model)


def backtest(values: list[float], origins: int = 12, anomaly_level: float = 0.99) -> tuple[
        dict | None, tuple[float, float, float] | None]:
    """One-step-ahead forecasts from each of the last `origins` months: (the backtest, and —
    from the last origin — the last value when it lies outside the `anomaly_level` interval)."""
    if len(values) < MIN_POINTS + 3:
        return None, None
    origins = min(origins, len(values) - MIN_POINTS)
    inside80 = inside95 = 0
    errors, naive_errors, odd = [], [], None
    for t in range(len(values) - origins, len(values)):
        history, actual = values[:t], values[t]
        found = intervals(history, 1, (0.8, 0.95, anomaly_level))
        (lo80, hi80), (lo95, hi95) = found[0.8], found[0.95]
        inside95 += lo95[0] <= actual <= hi95[0]
        inside80 += lo80[0] <= actual <= hi80[0]
        errors.append(abs(actual - found["mean"][0]))
        naive = history[-12] if len(history) >= 12 else history[-1]
        naive_errors.append(abs(actual - naive))
        if t == len(values) - 1:
            low, high = found[anomaly_level][0][0], found[anomaly_level][1][0]
            if actual < low or actual > high:
                odd = (actual, low, high)
    mae, naive_mae = sum(errors) / origins, sum(naive_errors) / origins
    return ({"origins": origins, "coverage80": inside80 / origins,
             "coverage95": inside95 / origins, "mae": round(mae, 2),
             "naive_mae": round(naive_mae, 2),
             "relative_mae": round(mae / naive_mae, 3) if naive_mae else None}, odd)
