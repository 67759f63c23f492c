"""Does the app start and show its pages to a logged-in user?"""


def test_login_page_is_chinese_by_default(client):
    """Does a first visit get the Chinese login page?"""
    response = client.get("/auth/login")
    assert response.status_code == 200
    assert 'lang="zh-CN"' in response.get_data(as_text=True)


def test_task_list_and_detail_open_for_supervisor(client, auth, world):
    """Can the supervision office open the list and a task?"""
    auth.login("supervisor")
    page = client.get("/tasks/")
    assert page.status_code == 200
    assert "农村安全饮水整改" in page.get_data(as_text=True)
    detail = client.get(f"/tasks/{world['tasks']['own']}")
    assert detail.status_code == 200
    assert "县水利局" in detail.get_data(as_text=True)
