def get(url: str) -> str:
    return url


def add(a: int, b: int) -> int:
    return a + b
