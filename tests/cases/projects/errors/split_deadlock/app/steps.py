def s(x: int = 0) -> int:
    return x
