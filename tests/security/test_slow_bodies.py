"""Slow or huge request bodies cannot stall the gateway (gateway/http.py)."""

import json
import socket
import time

import requests

from tests.security.conftest import BODY_TIMEOUT_SECONDS, MAX_WORKERS


def stalled_connection(base_url, path="/api/v1/auth/login", length=100):
    """Headers and a Content-Length, then nothing."""
    host, port = base_url.rsplit("/", 1)[-1].split(":")
    sock = socket.create_connection((host, int(port)))
    sock.sendall(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n".format(
            path, host, length
        ).encode()
    )
    return sock


def read_response(sock, timeout):
    sock.settimeout(timeout)
    data = b""
    try:
        while b"\r\n\r\n" not in data or not data.endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except TimeoutError:
        pass
    return data


def nothing_answered_yet(sock):
    sock.setblocking(False)
    try:
        sock.recv(1, socket.MSG_PEEK)  # an answer, or the connection closed
        return False
    except BlockingIOError:
        return True
    finally:
        sock.setblocking(True)


def test_stalled_bodies_hold_no_worker(system, admin):
    stalled = [stalled_connection(system.base_url) for _ in range(MAX_WORKERS * 3)]
    try:
        started = time.monotonic()
        health = requests.get(system.base_url + "/health", timeout=30)
        assert health.status_code == 200, health.text
        login = requests.post(
            system.base_url + "/api/v1/auth/login",
            json={"username": "admin", "password": system.env["CRM_ADMIN_PASSWORD"]},
            timeout=30,
        )
        assert login.status_code == 200, login.text
        me = admin.get("/api/v1/me")
        assert me.status_code == 200
        # they were served while every stalled connection still waited for its body
        if time.monotonic() - started < BODY_TIMEOUT_SECONDS - 1:
            assert all(nothing_answered_yet(sock) for sock in stalled)
        answer = read_response(stalled[0], BODY_TIMEOUT_SECONDS + 10)
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408"), answer
        assert b"connection: close" in head.lower()
        assert json.loads(body)["error"]["code"] == "BODY_TIMEOUT"
    finally:
        for sock in stalled:
            sock.close()


def test_trickling_body_gets_no_more_time(system):
    sock = stalled_connection(system.base_url, length=1000)
    try:
        started = time.monotonic()
        answer = b""
        for _ in range(BODY_TIMEOUT_SECONDS * 4):
            try:
                sock.sendall(b" ")
            except OSError:
                break
            sock.settimeout(0.5)
            try:
                answer += sock.recv(65536)
            except TimeoutError:
                continue
            if answer:
                break
        answer += read_response(sock, 10)
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert time.monotonic() - started < BODY_TIMEOUT_SECONDS * 4
    finally:
        sock.close()


def test_declared_huge_body_is_refused_unread(system):
    sock = stalled_connection(system.base_url, length=20 * 1024 * 1024)
    try:
        answer = read_response(sock, 10)
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 413"), answer
        assert json.loads(body)["error"]["code"] == "BODY_TOO_LARGE"
    finally:
        sock.close()


def test_chunked_huge_body_is_cut_at_the_limit(system):
    def chunks():
        block = b"[" + b"1," * 500_000
        for _ in range(20):  # about 20 MB, never announced
            yield block

    response = requests.post(
        system.base_url + "/api/v1/auth/login",
        data=chunks(),
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "BODY_TOO_LARGE"


def test_a_bulk_call_of_100000_ids_fits(system, admin):
    response = admin.post(
        "/api/v1/customers/bulk/groups", {"customer_ids": list(range(1, 100_001)), "mode": "move", "group_ids": []}
    )
    assert response.status_code == 200, response.text
    assert set(response.json()) >= {"matched", "changed"}
