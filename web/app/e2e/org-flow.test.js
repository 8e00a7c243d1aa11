// The organisation flow on phones: the future administrator creates and verifies an
// organisation (licence photo, bank account check with the amount the platform sent), the
// operator approves (API), the administrator switches to the organisation's identity; an employee
// finds the organisation and asks to join, naming the administrator; the administrator approves
// in the to-do list; the employee then acts as the organisation's employee.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, World, screenshotDir, idNumber, uscc } from './harness.js';

const world = new World();
const ORG = '北京示例科技有限公司';
const ADMIN = { phone: '13912340001', name: '王五', id: idNumber('11010519800101001') };
const EMPLOYEE = { phone: '13912340002', name: '赵六', id: idNumber('11010519900202002') };
let employee;

async function shot(page, name) {
  const SHOTS = screenshotDir(world);
  mkdirSync(SHOTS, { recursive: true });
  await page.locator('.van-toast').first().waitFor({ state: 'hidden' }).catch(() => {});
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

before(async () => {
  await world.start();
});
after(async () => {
  await world.stop();
});

test('create and verify an organisation, an employee joins, the administrator approves', { timeout: 180_000 }, async () => {
  // Any picture does for the development verifier and the licence; a phone's own screen is one.
  const scratch = await (await world.phone()).newPage();
  await scratch.goto(`${world.base}/app/`);
  const photo = await scratch.screenshot({ type: 'png' });
  const adminToken = await world.verifiedPerson(ADMIN.phone, ADMIN.name, ADMIN.id, photo);
  const employeeToken = await world.verifiedPerson(EMPLOYEE.phone, EMPLOYEE.name, EMPLOYEE.id, photo);

  // The administrator: create, licence, bank account, bank check, submit.
  const admin = await (await world.phoneWithSession(adminToken)).newPage();
  await admin.goto(`${world.base}/app/me`);
  await admin.getByText('创建并认证单位').click();
  await admin.getByPlaceholder('与营业执照一致').fill(ORG);
  await admin.getByPlaceholder('18 位代码').fill(uscc('91110108MA01ABC12'));
  await admin.locator('[data-test=org-agree]').click();
  await shot(admin, '17-org-create');
  await admin.getByRole('button', { name: '下一步' }).click();
  await admin.locator('[data-test=licence]').setInputFiles({ name: 'licence.png', mimeType: 'image/png', buffer: photo });
  await admin.getByText('识别的名称').waitFor();
  await admin.getByRole('button', { name: '下一步' }).click();
  await admin.getByPlaceholder('如：中国工商银行北京分行').fill('中国工商银行北京分行');
  await admin.getByPlaceholder('对公账号').fill('0200001234567890123');
  await admin.getByRole('button', { name: '发起打款验证' }).click();
  await admin.getByText('请查询到账金额后填写').waitFor();
  // The operator's view of the organisation (drafts are not searchable yet).
  const orgs = await world.api('GET', '/api/v1/operator/organisations?limit=100', world.operator);
  const orgId = orgs.items.find((o) => o.name === ORG).id;
  const transfers = await world.api('GET', `/api/v1/operator/organisations/${orgId}/bank-transfers`, world.operator);
  const fen = transfers.items[0].amount_fen;
  await admin.getByPlaceholder('如 0.37').fill((fen / 100).toFixed(2));
  await admin.getByRole('button', { name: '确认金额' }).click();
  await admin.getByRole('button', { name: '提交审核' }).click();
  await admin.getByText('审核中').waitFor();
  await world.api('POST', `/api/v1/operator/organisations/${orgId}/approval`, world.operator);

  // Switch to the organisation's administrator identity.
  await admin.goto(`${world.base}/app/me`);
  await admin.getByText(`单位管理员 · ${ORG}`).click();
  await admin.getByText(`当前身份：单位管理员 · ${ORG}`).waitFor();
  await shot(admin, '18-identities');

  // The employee asks to join, naming the administrator.
  employee = await (await world.phoneWithSession(employeeToken)).newPage();
  await employee.goto(`${world.base}/app/org/join`);
  await employee.getByPlaceholder('输入单位名称').fill('示例科技');
  await employee.getByRole('button', { name: '搜索' }).click();
  await employee.getByText(ORG).waitFor();
  await employee.getByPlaceholder('如：我是本单位财务部员工').fill('我是技术部员工');
  await employee.getByPlaceholder('您所知道的单位管理员姓名').fill(ADMIN.name);
  await employee.getByPlaceholder('管理员的手机号').fill(ADMIN.phone);
  await shot(employee, '19-org-join');
  await employee.getByRole('button', { name: '提交申请' }).click();
  await employee.getByText('已提交，等待管理员审批').waitFor();

  // The administrator approves in the to-do list.
  await admin.goto(`${world.base}/app/me`);
  await admin.getByText('待办审批').click();
  await admin.getByText('我是技术部员工').waitFor();
  await shot(admin, '20-tasks');
  await admin.getByRole('button', { name: '同意' }).click();
  await admin.getByText('已同意').first().waitFor();

  // The employee now holds the organisation's employee identity and acts as it.
  await employee.goto(`${world.base}/app/me`);
  await employee.getByText(`员工 · ${ORG}`).click();
  await employee.getByText(`当前身份：员工 · ${ORG}`).waitFor();
  const ids = await world.api('GET', '/api/v1/identities', employeeToken);
  assert.ok(ids.items.some((i) => i.kind === 'employee' && i.org_id === orgId), JSON.stringify(ids));
  // An employee sees no to-do list of the organisation (the link is not even offered).
  assert.equal(await employee.getByText('待办审批').count(), 0);
  const members = await world.api('GET', `/api/v1/organisations/${orgId}/members`, adminToken);
  // The creator is the administrator and, having said so, the legal representative.
  assert.deepEqual(members.items.filter((m) => m.status === 'active').map((m) => `${m.role} ${m.phone}`).sort(),
    [`admin ${ADMIN.phone}`, `employee ${EMPLOYEE.phone}`, `legal_representative ${ADMIN.phone}`]);
});

// Settings: a wrong current password is refused next to its field and the right one changes it;
// the lists of personal information; closing the account enters the cooling-off period and can
// be withdrawn.
test('login password, personal-information lists, deregistration and its withdrawal', { timeout: 120_000 }, async () => {
  await employee.goto(`${world.base}/app/settings`);
  await employee.getByPlaceholder('请输入原登录密码').fill('Wrong!pw99');
  await employee.getByPlaceholder('请输入新密码').fill('N3w!secret');
  await employee.getByPlaceholder('请再次输入').fill('N3w!secret');
  await employee.getByRole('button', { name: '修改密码' }).click();
  await employee.locator('.van-field__error-message').first().waitFor();
  await employee.getByPlaceholder('请输入原登录密码').fill('Str0ng!pw');
  await employee.getByRole('button', { name: '修改密码' }).click();
  await employee.getByText('登录密码已修改').waitFor();
  await world.login(EMPLOYEE.phone, 'N3w!secret');  // the new password logs in

  await employee.getByText('已收集个人信息清单').click();
  await employee.locator('.van-cell').first().waitFor();
  await shot(employee, '21-personal-information');
  await employee.goBack();

  await employee.getByText('注销账号').click();
  await employee.getByRole('button', { name: '获取验证码' }).click();
  await employee.getByText('验证码已发送').waitFor();
  await employee.getByPlaceholder('请输入短信验证码').fill(world.smsCode(EMPLOYEE.phone));
  await employee.getByRole('button', { name: '申请注销' }).click();
  await employee.getByRole('button', { name: '确认' }).click();
  await employee.getByText(/账号将于 .* 注销/).waitFor();
  await shot(employee, '22-deregistration');
  await employee.getByRole('button', { name: '撤回注销' }).click();
  await employee.getByText('已撤回注销').waitFor();
  await employee.getByRole('button', { name: '申请注销' }).waitFor();
});

// A person with several identities logs in on another phone and is asked to choose one.
test('logging in with several identities asks which one to act as', { timeout: 60_000 }, async () => {
  const p = await (await world.phone()).newPage();
  await p.goto(`${world.base}/app/login`);
  await p.getByPlaceholder('请输入手机号').fill(ADMIN.phone);
  await p.getByRole('button', { name: '获取验证码' }).click();
  await p.getByText('验证码已发送').waitFor();
  await p.getByPlaceholder('请输入短信验证码').fill(world.smsCode(ADMIN.phone));
  await p.getByPlaceholder('首次登录无需填写').fill('Str0ng!pw');
  await p.getByRole('checkbox').click();
  await p.getByRole('button', { name: '登录 / 注册' }).click();
  await p.getByText('您有多个身份，请选择本次使用的身份').waitFor();
  await p.getByText(`法定代表人 · ${ORG}`).click();
  await p.getByText(`当前身份：法定代表人 · ${ORG}`).waitFor();
});
